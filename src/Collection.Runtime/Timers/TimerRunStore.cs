using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Collection.Runtime.Hosting;

namespace Collection.Runtime.Timers;

/// <summary>One finished run of a timer function, as <c>GET /admin/functions/{name}/runs</c> lists it.</summary>
public sealed record TimerRunRecord(
    string RunId,
    string Function,
    DateTimeOffset ScheduledTime,
    DateOnly? AsOf,
    bool IsPastDue,
    bool IsManual,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    double DurationMs,
    string Outcome,
    string? Error,
    JsonElement? Summary);

/// <summary>
/// The run history of timer functions (table <see cref="StorageLayout.TimerRunsTable"/>): PartitionKey =
/// function name (lower case), RowKey = inverted start ticks + run id, so one partition query returns a
/// function's runs newest first without sorting. Only the timers' few runs a day land here.
/// </summary>
internal sealed class TimerRunStore(TableServiceClient tables)
{
    private readonly TableClient _table = tables.GetTableClient(StorageLayout.TimerRunsTable);
    private readonly Lock _gate = new();
    private Task? _created;

    public async Task AddAsync(TimerRunRecord run, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var entity = new TableEntity(Partition(run.Function), RowKey(run.StartedAt, run.RunId))
        {
            ["Function"] = run.Function,
            ["RunId"] = run.RunId,
            ["ScheduledTime"] = run.ScheduledTime.ToUniversalTime(),
            ["AsOf"] = run.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["IsPastDue"] = run.IsPastDue,
            ["IsManual"] = run.IsManual,
            ["StartedAt"] = run.StartedAt.ToUniversalTime(),
            ["FinishedAt"] = run.FinishedAt.ToUniversalTime(),
            ["DurationMs"] = run.DurationMs,
            ["Outcome"] = run.Outcome,
            ["Error"] = Truncate(run.Error),
            ["Summary"] = run.Summary is { } summary ? Truncate(summary.GetRawText()) : null,
        };
        try
        {
            await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The table went away (emulator restarted empty): create it again next time.
            _created = null;
            throw;
        }
    }

    /// <summary>The newest <paramref name="top"/> runs of <paramref name="function"/>, newest first.</summary>
    public async Task<IReadOnlyList<TimerRunRecord>> ListAsync(string function, int top, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<TimerRunRecord>(top);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(function)}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(top, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            runs.Add(ToRecord(entity));
            if (runs.Count >= top)
            {
                break;
            }
        }

        return runs;
    }

    private static TimerRunRecord ToRecord(TableEntity entity)
    {
        var summary = entity.GetString("Summary");
        JsonElement? parsed = null;
        if (!string.IsNullOrEmpty(summary))
        {
            try
            {
                parsed = JsonSerializer.Deserialize<JsonElement>(summary);
            }
            catch (JsonException)
            {
                // Cut at the column limit: show it as text rather than lose it.
                parsed = JsonSerializer.SerializeToElement(summary);
            }
        }

        return new TimerRunRecord(
            entity.GetString("RunId") ?? "",
            entity.GetString("Function") ?? entity.PartitionKey,
            entity.GetDateTimeOffset("ScheduledTime") ?? default,
            entity.GetString("AsOf") is { Length: > 0 } asOf ? DateOnly.ParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            entity.GetBoolean("IsPastDue") ?? false,
            entity.GetBoolean("IsManual") ?? false,
            entity.GetDateTimeOffset("StartedAt") ?? default,
            entity.GetDateTimeOffset("FinishedAt") ?? default,
            entity.GetDouble("DurationMs") ?? 0,
            entity.GetString("Outcome") ?? "",
            entity.GetString("Error"),
            parsed);
    }

    private static string Partition(string function) => function.ToLowerInvariant();

    /// <summary>Newest first: ticks counted down from the largest value, fixed width so text order is time order.</summary>
    private static string RowKey(DateTimeOffset startedAt, string runId) =>
        string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.MaxValue.UtcTicks - startedAt.UtcTicks:D19}-{runId}");

    // A string column holds 64 KiB (32 K UTF-16 characters).
    private static string? Truncate(string? text) => text is { Length: > 30_000 } ? text[..30_000] : text;

    private Task EnsureAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return _created.WaitAsync(cancellationToken);
        }
    }
}
