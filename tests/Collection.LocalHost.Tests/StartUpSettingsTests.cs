using Collection.LocalHost.Settings;
using Collection.LocalHost.Triggers;

namespace Collection.LocalHost.Tests;

/// <summary>
/// Settings read at start-up: one the triggers cannot use stops the host before anything runs, with a message
/// naming the function and the setting (what <c>dotnet run</c> prints); host.json's absence means Functions' defaults.
/// </summary>
public sealed class StartUpSettingsTests
{
    [Theory]
    [InlineData("TestQueue", null, "'OnMessage'", "App setting 'TestQueue' (used in '%TestQueue%') is not set")]
    [InlineData("NestedContainer", null, "'OnNestedUpload'", "App setting 'NestedContainer'")]
    [InlineData("TickSchedule", "0 1 * * *", "'Tick'", "six fields")]
    [InlineData("NestedContainer", "Bad_Container", "'OnNestedUpload'", "container name")]
    [InlineData("WEBSITE_TIME_ZONE", "Mars/Olympus_Mons", "'Tick'", "time zone 'Mars/Olympus_Mons'")]
    [InlineData("AzureFunctionsJobHost__extensions__blobs__pollingInterval", "00:00:30", "pollingInterval", "at most 00:00:10")]
    public async Task StartUp_WithATriggerSettingThatCannotBeUsed_StopsWithAMessageNamingIt(string setting, string? value, string names, string says)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TestQueue"] = "testq",
            ["TickSchedule"] = "0 0 0 1 1 *",
            ["NestedContainer"] = "testapp-nested",
        };
        if (value is null)
        {
            values.Remove(setting);
        }
        else
        {
            values[setting] = value;
        }

        var settings = await LocalHostFixture.WriteSettingsAsync(values);
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => LocalHostApp.Build(new LocalHostOptions(LocalHostFixture.TestAppDirectory, settings, 0)));

            Assert.Contains(names, error.Message, StringComparison.Ordinal);
            Assert.Contains(says, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(settings);
        }
    }

    [Fact]
    public void HostJson_Absent_TriggerOptionsAreTheFunctionsDefaults()
    {
        var folder = Directory.CreateTempSubdirectory("app-without-host-json-");
        try
        {
            File.Copy(Path.Combine(LocalHostFixture.TestAppDirectory, "worker.config.json"), Path.Combine(folder.FullName, "worker.config.json"));
            var app = ScriptRoot.Load(folder.FullName);

            var queues = TriggerOptionsReader.Queues(app);
            var blobs = TriggerOptionsReader.Blobs(app);

            Assert.Equal((5, 16, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30)), (queues.MaxDequeueCount, queues.BatchSize, queues.MaxPollingInterval, queues.VisibilityTimeout));
            Assert.Equal((5, 4), (blobs.MaxDequeueCount, blobs.MaxDegreeOfParallelism));
            Assert.True(blobs.PollingInterval <= BlobTriggerOptions.MaxDetectionLatency);
            Assert.Equal(TimerTriggerOptions.DefaultTimeZone, TriggerOptionsReader.Timers(app).TimeZone);
            Assert.Equal(TimeSpan.FromMinutes(30), app.FunctionTimeout);
            Assert.Equal("api", app.RoutePrefix);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
