using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Files;
using Collection.Functions.Policies;

namespace Collection.Functions.Rosters;

/// <summary>
/// The roster ingestion's row checks without storage (no ledger, no blob, nothing kept): what <c>roster check</c>
/// runs on a file on disk and <c>POST /api/roster-checks/…</c> on the file a browser is about to upload. Whether a
/// person is already enrolled through another school or channel needs the ledger and is checked only on upload.
/// </summary>
public static class RosterOfflineCheck
{
    /// <summary>
    /// Reads <paramref name="input"/> as a roster of <paramref name="kind"/> and checks every row as of
    /// <paramref name="assessOn"/>; rejected rows are also written to <paramref name="rejectedCsv"/> when one is given
    /// (the file's columns plus 行号, 原因代码, 原因说明). A <see cref="TabularFileException"/> when the file cannot be read.
    /// </summary>
    public static async Task<RosterResult> RunAsync(
        Stream input, string fileName, Policy policy, RosterKind kind, DateOnly assessOn, FileLimits limits, Stream? rejectedCsv, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var checker = new RosterChecker(policy, kind, assessOn);
        var tally = new RosterTally(school: "-");
        var file = await TabularFile.OpenAsync(input, fileName, RosterRows.LayoutOf(kind), limits, cancellationToken).ConfigureAwait(false);
        await using (file.ConfigureAwait(false))
        {
            var rejected = rejectedCsv is null ? null : RejectedRowsCsvWriter.Create(rejectedCsv, file.Header.Header, leaveOpen: true);
            try
            {
                await foreach (var row in file.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
                {
                    tally.Read();
                    var facts = RosterRows.Facts(row, out var cellProblem);
                    var outcome = cellProblem is null ? checker.Check(facts) : RosterRowResult.Reject(cellProblem);
                    if (outcome.Person is { } person)
                    {
                        tally.Accept(person, RosterRows.SchoolName(row), updated: false);
                    }
                    else
                    {
                        tally.Reject(row.LineNumber, facts.IdNumber, outcome.Rejection!);
                        rejected?.Write(row, outcome.Rejection!.Code, outcome.Rejection.Message);
                    }
                }
            }
            finally
            {
                if (rejected is not null)
                {
                    await rejected.DisposeAsync().ConfigureAwait(false);
                }
            }

            var result = new RosterResult
            {
                Policy = policy.Code,
                FileName = Path.GetFileName(fileName),
                Kind = RosterBlobs.KindName(kind),
                Status = RosterStatus.Completed,
                AssessedOn = IsoDate.Text(assessOn),
                Format = file.Format.ToString().ToLowerInvariant(),
                Encoding = file.EncodingName,
                Warnings = [.. file.Warnings],
            };
            tally.Snapshot(result);
            return result;
        }
    }
}
