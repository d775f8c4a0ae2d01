using System.Diagnostics;
using Azure;
using Collection.Domain;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Files;
using Collection.Functions.Policies;

namespace Collection.Functions.Rosters;

/// <summary>One uploaded roster version to ingest.</summary>
public sealed record RosterUpload(
    string Container,
    string BlobName,
    ETag ETag,
    RosterKind Kind,
    string Policy,
    string School,
    string FileName,
    DateOnly? AssessOn,
    string Actor);

/// <summary>
/// Ingests one roster version: streams the file (rows set aside on disk by ledger partition), checks every
/// row (<see cref="RosterChecker"/>), writes accepted people to the ledger in batches partition by partition
/// in key order, and keeps the result blob up to date (every <see cref="ProgressInterval"/>, and at the end).
/// Work is bounded per file: a file beyond <see cref="Limits"/> fails as a whole at the limit; rejected rows go
/// to disk, not memory; the result rewritten every few seconds is of fixed size, so the cost of a file is linear
/// in its rows.
/// Idempotent: a rerun of the same version (after a crash) finds its own rows and updates them, so every row
/// ends up once. A file that cannot be read ends as a <c>failed</c> result, not as an exception (retrying
/// would not help).
/// </summary>
public sealed partial class RosterIngestion(RosterResultStore store, IRosterLedger ledger, PolicyCatalog catalog, TimeProvider time, ChinaClock clock, ILogger<RosterIngestion> logger)
{
    private readonly RosterResultStore _store = store;
    private readonly IRosterLedger _ledger = ledger;
    private readonly TimeProvider _time = time;
    private readonly ChinaClock _clock = clock;

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Rows, bytes and XLSX limits per file (settings <c>Files:*</c>).</summary>
    public FileLimits Limits { get; init; } = FileLimits.Default;

    /// <summary>
    /// Ledger batches written concurrently while the file is read on by default. Storage takes one batch at a
    /// time per partition anyway (Azurite one request at a time); 4 keep it busy, and measured against 8 they
    /// hold less request data alive in the host and in Azurite for the same rate.
    /// </summary>
    public const int DefaultBatchesInFlight = 4;

    /// <summary>Ledger batches written concurrently while the file is read on.</summary>
    public int BatchesInFlight { get; init; } = DefaultBatchesInFlight;

    public static string SourceOf(string school) => "roster:" + RosterBlobs.SchoolCode(school);

    /// <summary>
    /// Where an already-enrolled person was enrolled, as a school reads it: never which school, list or channel
    /// (that a person is on a welfare list is not a school's business); staff see the source on the enrolment.
    /// </summary>
    private const string ElsewhereLabel = "其他学校或渠道";

    public async Task<RosterResult> RunAsync(RosterUpload upload, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(open);
        var result = NewResult(upload);
        var today = _clock.Today;
        var assessOn = upload.AssessOn ?? today;
        result.AssessedOn = IsoDate.Text(assessOn);
        await _store.WriteAsync(result, cancellationToken).ConfigureAwait(false);

        if (!catalog.TryGet(upload.Policy, out var policy))
        {
            return await FailAsync(result, "unknown-policy", $"没有政策“{upload.Policy}”，请把文件放在正确的政策目录下（{{policy}}/{{学校代码}}/{{文件名}}）", cancellationToken).ConfigureAwait(false);
        }

        if (assessOn > today)
        {
            return await FailAsync(result, "date-in-future", $"核定日期 {result.AssessedOn} 晚于今天", cancellationToken).ConfigureAwait(false);
        }

        var stopwatch = Stopwatch.StartNew();
        var run = new Run(this, upload, result, new RosterChecker(policy, upload.Kind, assessOn), new RosterTally(upload.School));
        TabularFile file;
        try
        {
            file = await TabularFile.OpenAsync(await open(cancellationToken).ConfigureAwait(false), upload.FileName, RosterRows.LayoutOf(upload.Kind), Limits, cancellationToken).ConfigureAwait(false);
        }
        catch (TabularFileException e)
        {
            return await FailAsync(result, e.Code, e.ChineseMessage, cancellationToken, e.LineNumber).ConfigureAwait(false);
        }

        await using (file.ConfigureAwait(false))
        {
            result.Format = file.Format.ToString().ToLowerInvariant();
            var batches = await _ledger.BeginAsync(policy, SourceOf(upload.School), assessOn, upload.Actor, cancellationToken).ConfigureAwait(false);
            using var spill = new RosterSpill(_time);
            try
            {
                await run.IngestAsync(file, batches, spill, cancellationToken).ConfigureAwait(false);
            }
            catch (TabularFileException e)
            {
                // Nothing was written to the ledger: rows are set aside until the whole file has been read.
                result.Encoding = file.EncodingName;
                result.Warnings = [.. file.Warnings];
                run.Tally.Snapshot(result);
                return await FailAsync(result, e.Code, e.ChineseMessage, cancellationToken, e.LineNumber).ConfigureAwait(false);
            }

            result.Encoding = file.EncodingName;
            result.Warnings = [.. file.Warnings];
            await run.FinishAsync(file.Header.Header, spill, cancellationToken).ConfigureAwait(false);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            var blobName = LogText.Of(upload.BlobName);
            LogIngested(upload.Container, blobName, upload.ETag, result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected, result.Counts.Vanished,
                stopwatch.Elapsed.TotalSeconds, run.ReadTime.TotalSeconds);
        }

        return result;
    }

    /// <summary>Records a roster that cannot even be started (a blob name that is not policy/school/file).</summary>
    public async Task<RosterResult> FailAsync(RosterUpload upload, string code, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return await FailAsync(NewResult(upload), code, message, cancellationToken).ConfigureAwait(false);
    }

    private RosterResult NewResult(RosterUpload upload) => new()
    {
        Container = upload.Container,
        BlobName = upload.BlobName,
        ETag = RosterBlobs.ETagText(upload.ETag),
        Policy = upload.Policy,
        School = upload.School,
        FileName = upload.FileName,
        Kind = RosterBlobs.KindName(upload.Kind),
        Status = RosterStatus.Processing,
        StartedAt = _time.GetUtcNow(),
        UpdatedAt = _time.GetUtcNow(),
    };

    private async Task<RosterResult> FailAsync(RosterResult result, string code, string message, CancellationToken cancellationToken, int? line = null)
    {
        result.Status = RosterStatus.Failed;
        result.Error = new FileError(code, message, line);
        result.CompletedAt = _time.GetUtcNow();
        result.UpdatedAt = result.CompletedAt.Value;
        await _store.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        LogFailed(result.Container, LogText.Of(result.BlobName), code, LogText.Of(message));
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Roster {Container}/{Blob} ({ETag}): {Total} rows, {Accepted} accepted, {Rejected} rejected, {Vanished} vanished in {Seconds:0.0} s ({ReadSeconds:0.0} s reading the file)")]
    private partial void LogIngested(string container, string blob, ETag eTag, int total, int accepted, int rejected, int vanished, double seconds, double readSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Roster {Container}/{Blob} failed: {Code} {Message}")]
    private partial void LogFailed(string container, string blob, string code, string message);

    private sealed record Pending(RosterPerson Person, string? SchoolName, IReadOnlyList<string> Cells);

    /// <summary>The state of one run; the read loop and the ledger writes in flight share it under <see cref="_gate"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
        Justification = "The throttle is left to the collector on purpose: writes still in flight when a run fails release it afterwards, and a SemaphoreSlim whose AvailableWaitHandle is never read holds no handle.")]
    private sealed class Run(RosterIngestion owner, RosterUpload upload, RosterResult result, RosterChecker checker, RosterTally tally)
    {
        private readonly Lock _gate = new();
        private readonly List<Task> _inFlight = [];
        private readonly List<RosterManifestEntry> _enrolled = [];
        private readonly HashSet<string> _seenIds = new(StringComparer.Ordinal);
        private SemaphoreSlim? _throttle;
        private IRosterLedgerBatches? _batches;
        private RosterSpill? _spill;
        private long _lastProgress;

        public RosterTally Tally => tally;

        /// <summary>How long reading the file took, before the first ledger write.</summary>
        public TimeSpan ReadTime { get; private set; }

        /// <summary>
        /// Reads the whole file, rejecting rows whose ID number is unusable at once and setting the others aside
        /// by ledger partition (<see cref="RosterSpill"/>); then checks and writes them partition by partition in
        /// key order, as a bulk load sorted by key would. Nothing reaches the ledger from a file that cannot be
        /// read to its end. The checker sees the rows of one ID number in file order (they share a partition),
        /// so the first of two equal ones is kept.
        /// </summary>
        public async Task IngestAsync(TabularFile file, IRosterLedgerBatches ledgerBatches, RosterSpill rows, CancellationToken cancellationToken)
        {
            _batches = ledgerBatches;
            _spill = rows;
            _throttle = new SemaphoreSlim(owner.BatchesInFlight);
            _lastProgress = Stopwatch.GetTimestamp();
            var started = Stopwatch.GetTimestamp();
            await foreach (var row in file.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
            {
                var facts = RosterRows.Facts(row, out var cellProblem);
                var usable = RosterChecker.TryIdentify(facts, checker.AssessOn, out var id, out _);
                _seenIds.Add(usable ? id.ToString() : facts.IdNumber);
                if (cellProblem is null && usable)
                {
                    rows.Add(_batches.BatchKey(id), row.LineNumber, row.Cells);
                    lock (_gate)
                    {
                        tally.Read();
                    }
                }
                else
                {
                    var outcome = cellProblem is null ? checker.Check(facts) : RosterRowResult.Reject(cellProblem);
                    lock (_gate)
                    {
                        tally.Read();
                        Reject(row.LineNumber, row.Cells, facts.IdNumber, outcome.Rejection!);
                    }
                }

                await ReportProgressAsync(cancellationToken).ConfigureAwait(false);
            }

            ReadTime = Stopwatch.GetElapsedTime(started);
            foreach (var key in rows.Keys)
            {
                // One partition's rows at a time (a 64th of the file), checked in file order, written in row key order.
                var accepted = new List<Pending>();
                foreach (var (lineNumber, cells) in rows.Read(key))
                {
                    var row = new TabularRow(new RawRow(lineNumber, cells), file.Header);
                    var outcome = checker.Check(RosterRows.Facts(row, out _));
                    if (outcome.Person is { } person)
                    {
                        accepted.Add(new Pending(person, RosterRows.SchoolName(row), cells));
                    }
                    else
                    {
                        lock (_gate)
                        {
                            Reject(lineNumber, cells, row.IdNumber(), outcome.Rejection!);
                        }
                    }

                    await ReportProgressAsync(cancellationToken).ConfigureAwait(false);
                }

                foreach (var batch in accepted.OrderBy(p => p.Person.Id.ToString(), StringComparer.Ordinal).Chunk(owner._ledger.MaxBatch))
                {
                    await DispatchAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }

            await DrainAsync().ConfigureAwait(false);
        }

        private async Task DrainAsync()
        {
            Task[] pending;
            lock (_gate)
            {
                pending = [.. _inFlight];
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
        }

        public async Task FinishAsync(IReadOnlyList<string> header, RosterSpill rows, CancellationToken cancellationToken)
        {
            var store = owner._store;
            var previous = await store.ReadPeopleAsync(upload.Container, upload.BlobName, cancellationToken).ConfigureAwait(false);

            // People of the previous version still enrolled: carried in the list so they stay findable next time.
            var carried = previous.Where(p => !_seenIds.Contains(p.IdNumber)).ToList();
            foreach (var person in carried)
            {
                tally.Vanish(new RosterVanishedRow(RosterChecker.Mask(person.IdNumber), person.Name, person.Line));
            }

            await store.WritePeopleAsync(upload.Container, upload.BlobName, _enrolled.OrderBy(e => e.Line).Concat(carried), cancellationToken).ConfigureAwait(false);
            result.VanishedCsv = await store.WriteVanishedAsync(upload.Container, upload.BlobName, carried, cancellationToken).ConfigureAwait(false);

            var csv = store.RejectedCsv(upload.Container, upload.BlobName);
            if (rows.RejectedCount > 0)
            {
                var stream = await csv.OpenWriteAsync(overwrite: true, new Azure.Storage.Blobs.Models.BlobOpenWriteOptions
                {
                    HttpHeaders = new Azure.Storage.Blobs.Models.BlobHttpHeaders { ContentType = "text/csv; charset=utf-8" },
                }, cancellationToken).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    var writer = RejectedRowsCsvWriter.Create(stream, header, leaveOpen: true);
                    await using (writer.ConfigureAwait(false))
                    {
                        foreach (var (line, cells, code, message) in rows.ReadRejected())
                        {
                            await writer.WriteAsync(line, cells, code, message, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                result.RejectedCsv = $"{RosterBlobs.ResultsContainer}/{RosterBlobs.RejectedName(upload.Container, upload.BlobName)}";
            }
            else
            {
                await csv.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            tally.Snapshot(result);
            if (LateNewStudents() is { } late)
            {
                result.Warnings = [.. result.Warnings, late];
            }

            result.Status = RosterStatus.Completed;
            result.CompletedAt = owner._time.GetUtcNow();
            result.UpdatedAt = result.CompletedAt.Value;
            await store.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>luyang-2023 五(四): new students' lists are due by the policy's day; a later one is enrolled all the same, and says so.</summary>
        private FileWarning? LateNewStudents()
        {
            var today = owner._clock.Today;
            return upload.Kind == RosterKind.University && tally.NewStudents > 0 && checker.Policy.UniversityListBy is { } by && today > by
                ? new FileWarning(FileWarningCodes.NewStudentListLate,
                    $"新入学大学生名单应于 {by:yyyy-MM-dd} 前报送，本名单 {today:yyyy-MM-dd} 上传，其中 {tally.NewStudents} 名新生已照常登记；已提示医保中心跟进")
                : null;
        }

        private void Reject(int line, IReadOnlyList<string> cells, string idNumber, RosterRejection rejection)
        {
            tally.Reject(line, idNumber, rejection);
            _spill!.AddRejected(line, cells, rejection.Code, rejection.Message);
        }

        private async Task DispatchAsync(Pending[] batch, CancellationToken cancellationToken)
        {
            await _throttle!.WaitAsync(cancellationToken).ConfigureAwait(false);
            var task = Task.Run(async () =>
            {
                try
                {
                    var outcomes = await _batches!.EnrolAsync([.. batch.Select(p => new RosterEnrolment(p.Person, p.SchoolName))], cancellationToken).ConfigureAwait(false);
                    lock (_gate)
                    {
                        for (var i = 0; i < batch.Length; i++)
                        {
                            Apply(batch[i], outcomes[i]);
                        }
                    }
                }
                finally
                {
                    _throttle.Release();
                }
            }, cancellationToken);
            lock (_gate)
            {
                _inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
                _inFlight.Add(task);
            }

            // A failed write stops the run (the runtime retries the blob): surface it at once.
            foreach (var done in _inFlight.Where(t => t.IsFaulted || t.IsCanceled).ToArray())
            {
                await done.ConfigureAwait(false);
            }
        }

        private void Apply(Pending pending, RosterEnrolOutcome outcome)
        {
            var person = outcome.Assessed ?? pending.Person;
            var idNumber = person.Id.ToString();
            switch (outcome.Kind)
            {
                case RosterEnrolOutcomeKind.Enrolled or RosterEnrolOutcomeKind.Updated:
                    tally.Accept(person, pending.SchoolName, outcome.Kind == RosterEnrolOutcomeKind.Updated);
                    _enrolled.Add(new RosterManifestEntry(idNumber, person.Name, person.LineNumber));
                    break;
                case RosterEnrolOutcomeKind.AlreadyEnrolled:
                    Reject(person.LineNumber, pending.Cells, idNumber,
                        RosterReasons.Enrolled(checker.Policy.Code, ElsewhereLabel, outcome.Since));
                    break;
                default:
                    Reject(person.LineNumber, pending.Cells, idNumber, new RosterRejection(RosterReasons.NotEligible,
                        $"不符合 {checker.Policy.Code} 的参保条件：已参加职工基本医疗保险（in-employee-insurance）"));
                    break;
            }
        }

        private async Task ReportProgressAsync(CancellationToken cancellationToken)
        {
            if (Stopwatch.GetElapsedTime(_lastProgress) < owner.ProgressInterval)
            {
                return;
            }

            _lastProgress = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                tally.Snapshot(result);
            }

            result.UpdatedAt = owner._time.GetUtcNow();
            await owner._store.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        }
    }
}
