using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Collection.Testing;

namespace Collection.LocalHost.Tests;

public class AzuriteInstanceTests
{
    [Fact]
    public async Task SharedAzurite_StoresAndReadsBackABlob()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = azurite.CreateBlobServiceClient().GetBlobContainerClient(AzuriteInstance.UniqueName("smoke"));
        await container.CreateAsync();

        await container.UploadBlobAsync("hello.txt", BinaryData.FromString("你好"));
        var content = await container.GetBlobClient("hello.txt").DownloadContentAsync();

        Assert.Equal("你好", content.Value.Content.ToString());
    }

    [Fact]
    public async Task DedicatedAzurite_RestartsOnTheSamePorts()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var port = azurite.BlobPort;

        await azurite.StopAsync();
        Assert.False(azurite.IsRunning);
        await azurite.RestartAsync();

        Assert.Equal(port, azurite.BlobPort);
        await new BlobServiceClient(azurite.ConnectionString).GetPropertiesAsync();
    }

    [Fact]
    public async Task TestProcessKilled_ItsAzuriteEndsWithIt()
    {
        // The test app in its helper mode stands for a test process: it starts an Azurite, then is SIGKILLed
        // (no exit handler runs, as with a CI timeout).
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(LocalHostFixture.TestAppDirectory, "Collection.LocalHost.TestApp.dll"));
        start.ArgumentList.Add("--azurite-child");
        using var child = Process.Start(start)!;
        int? azuritePid = null;
        try
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(Eventually.DefaultTimeout)
                ?? throw new InvalidOperationException("The test process ended before starting Azurite: " + await child.StandardError.ReadToEndAsync());
            var words = line.Split(' ');
            Assert.Equal("azurite", words[0]);
            azuritePid = int.Parse(words[1], CultureInfo.InvariantCulture);
            var blobPort = int.Parse(words[2], CultureInfo.InvariantCulture);
            Assert.False(IsGone(azuritePid.Value));
            Assert.True(await IsListeningAsync(blobPort));

            child.Kill(entireProcessTree: false);
            await child.WaitForExitAsync();

            await Eventually.TrueAsync(
                async () => IsGone(azuritePid.Value) && !await IsListeningAsync(blobPort),
                () => $"Azurite (process {azuritePid}, blob port {blobPort}) to end with the killed test process");
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            // Left running only if the test failed: not left for the next run.
            if (azuritePid is { } pid && !IsGone(pid))
            {
                using var azurite = Process.GetProcessById(pid);
                azurite.Kill();
            }
        }
    }

    private static bool IsGone(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            if (process.HasExited)
            {
                return true;
            }
        }
        catch (ArgumentException)
        {
            return true;
        }

        // Ended but not yet reaped by its parent (a zombie on Linux): gone for every purpose here.
        var stat = Path.Combine("/proc", processId.ToString(CultureInfo.InvariantCulture), "stat");
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return !File.Exists(stat) && OperatingSystem.IsLinux();
        }
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
