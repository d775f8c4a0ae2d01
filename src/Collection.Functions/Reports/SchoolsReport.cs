using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Ledger;
using Collection.Functions.Rosters;

namespace Collection.Functions.Reports;

/// <summary>
/// One school's (or university's, or one 院系's) pupils as of a day. <see cref="Pupils"/>: distinct people on its
/// rosters of the year; <see cref="Registered"/>: of those, enrolled on the day (by the school or anywhere else);
/// <see cref="Insured"/>: nothing left to pay; <see cref="Paid"/> by paying, <see cref="Waived"/> wholly subsidised,
/// <see cref="Subsidised"/> paid with a partial subsidy; <see cref="NotEnrolled"/>: on a roster and not (or no longer)
/// enrolled; <see cref="Unpaid"/>: enrolled and still owing. <see cref="Rate"/> = insured ÷ pupils (4 decimals).
/// </summary>
public sealed record SchoolFigures(
    string School,
    string Kind,
    string? Faculty,
    int Pupils,
    int Registered,
    int Insured,
    int Paid,
    int Waived,
    int Subsidised,
    int NotEnrolled,
    int Unpaid,
    decimal? Rate)
{
    /// <summary>Per 院系 (universities whose rosters give one); null for schools.</summary>
    public IReadOnlyList<SchoolFigures>? Faculties { get; init; }
}

/// <summary>A pupil on a roster who is not insured on the day: not enrolled, or enrolled and owing.</summary>
public sealed record SchoolPupil(string School, string? Faculty, string Name, string IdNumber, string State, decimal Payable, decimal PaidSoFar, decimal Owed);

/// <summary>The schools' completeness (wuhai-2022 五(三); luyang-2023 八(四)) and, for one school, who has not paid.</summary>
public sealed record SchoolsReport(string Policy, string AsOf, IReadOnlyList<SchoolFigures> Schools, SchoolFigures Total, IReadOnlyList<SchoolPupil>? NotPaid)
{
    public const string NoFaculty = "未填院系";
    public const string NotEnrolledState = "not-enrolled";
    public const string UnpaidState = "unpaid";

    /// <summary>
    /// Pupils are the people each school's roster versions enrolled (their <c>.people.csv</c> lists, which keep the
    /// people a later version dropped) and any enrolment whose source is the school's roster; their state is read
    /// from the ledger as of <paramref name="day"/>, wherever they were enrolled. <paramref name="include"/> picks the
    /// schools (a school key's own); <paramref name="listFor"/> the school whose not-yet-paid pupils are listed.
    /// </summary>
    public static async Task<SchoolsReport> BuildAsync(EnrolmentLedger ledger, RosterResultStore rosters, Policy policy, DateOnly day,
        Func<string, bool> include, bool listFor, Func<string, string> showId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(rosters);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(showId);

        // school → (kind, id → name on the roster)
        var schools = new SortedDictionary<string, (string Kind, Dictionary<string, string> People)>(StringComparer.Ordinal);
        var schoolsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string school, string kind, string id, string name)
        {
            if (!schools.TryGetValue(school, out var s))
            {
                schools[school] = s = (kind, new Dictionary<string, string>(StringComparer.Ordinal));
            }

            if (s.People.TryAdd(id, name))
            {
                if (!schoolsOf.TryGetValue(id, out var list))
                {
                    schoolsOf[id] = list = [];
                }

                list.Add(school);
            }
        }

        await rosters.EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        foreach (var container in new[] { RosterBlobs.SchoolContainer, RosterBlobs.UniversityContainer })
        {
            var kind = container == RosterBlobs.UniversityContainer ? UnitKinds.University : UnitKinds.School;
            var prefix = $"{container}/{policy.Code}/";
            await foreach (var blob in rosters.Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
            {
                const string suffix = ".people.csv";
                if (!blob.Name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    continue;
                }

                var blobName = blob.Name[(container.Length + 1)..^suffix.Length];
                var segments = blobName.Split('/');
                if (segments.Length < 3)
                {
                    continue;
                }

                var school = RosterBlobs.SchoolCode(segments[1]);
                if (!include(school))
                {
                    continue;
                }

                foreach (var person in await rosters.ReadPeopleAsync(container, blobName, cancellationToken).ConfigureAwait(false))
                {
                    Add(school, kind, person.IdNumber, person.Name);
                }
            }
        }

        var timeline = await PaidTimeline.LoadAsync(ledger, policy.Code, cancellationToken).ConfigureAwait(false);
        var entries = new Dictionary<string, LedgerEntry>(StringComparer.Ordinal);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            // An enrolment a school's roster made counts to the school even when its list was lost (a crash before it was written).
            if (entry.Enrolment.Source is { } source && source.StartsWith("roster:", StringComparison.Ordinal) && source.Length > 7 && include(source[7..]))
            {
                Add(source[7..], ReportUnits.PopulationOf(entry) == "university-student" ? UnitKinds.University : UnitKinds.School, entry.IdNumber, entry.Person.Name ?? "");
            }

            if (schoolsOf.ContainsKey(entry.IdNumber))
            {
                entries[entry.IdNumber] = entry;
            }
        }

        var figures = new List<SchoolFigures>();
        var total = new Tally();
        var notPaid = listFor ? new List<SchoolPupil>() : null;
        foreach (var (school, (kind, people)) in schools)
        {
            var tally = new Tally();
            var faculties = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
            foreach (var (id, rosterName) in people)
            {
                var entry = entries.GetValueOrDefault(id);
                var ours = entry?.Enrolment.Source == RosterIngestion.SourceOf(school);
                var faculty = ours && !string.IsNullOrWhiteSpace(entry!.Person.Faculty) ? entry.Person.Faculty : null;
                var state = tally.Add(entry?.Enrolment, day, timeline, out var paid);
                total.Add(entry?.Enrolment, day, timeline, out _);
                if (kind == UnitKinds.University)
                {
                    var key = faculty ?? NoFaculty;
                    if (!faculties.TryGetValue(key, out var f))
                    {
                        faculties[key] = f = new Tally();
                    }

                    f.Add(entry?.Enrolment, day, timeline, out _);
                }

                if (notPaid is not null && state is NotEnrolledState or UnpaidState)
                {
                    var payable = state == UnpaidState ? entry!.Enrolment.Terms.Payable : 0m;
                    notPaid.Add(new SchoolPupil(school, faculty, string.IsNullOrEmpty(rosterName) ? entry?.Person.Name ?? "" : rosterName, showId(id), state,
                        payable, state == UnpaidState ? paid : 0m, payable - (state == UnpaidState ? paid : 0m)));
                }
            }

            // Per 院系 only where a roster gave one (luyang-2023 五(四) "高校应将参保任务分解到院系"); a university without the column has one row.
            var perFaculty = faculties.Count > 0 && !(faculties.Count == 1 && faculties.ContainsKey(NoFaculty))
                ? faculties.Select(f => f.Value.Figures(school, kind, f.Key)).ToList()
                : null;
            figures.Add(tally.Figures(school, kind, null) with { Faculties = perFaculty });
        }

        notPaid?.Sort((a, b) => (a.School, a.Faculty ?? "", a.State, a.IdNumber).CompareTo((b.School, b.Faculty ?? "", b.State, b.IdNumber)));
        return new SchoolsReport(policy.Code, IsoDate.Text(day), figures, total.Figures(ProgressReport.TotalName, "total", null), notPaid);
    }

    private sealed class Tally
    {
        private int _pupils, _registered, _insured, _paid, _waived, _subsidised;

        /// <summary>Counts one pupil; the state code when not insured (null when insured), and what they paid by the day.</summary>
        public string? Add(Enrolment? e, DateOnly day, PaidTimeline timeline, out decimal paid)
        {
            _pupils++;
            paid = 0m;
            if (e is null || e.EnrolledOn > day || ProgressReport.CancelledBy(e, day))
            {
                return NotEnrolledState;
            }

            _registered++;
            paid = timeline.PaidBy(e, day);
            if (paid < e.Terms.Payable)
            {
                return UnpaidState;
            }

            _insured++;
            if (e.Terms.Waived || e.Terms.Payable == 0m)
            {
                _waived++;
            }
            else
            {
                _paid++;
                _subsidised += e.Terms.Subsidy > 0m ? 1 : 0;
            }

            return null;
        }

        public SchoolFigures Figures(string school, string kind, string? faculty) =>
            new(school, kind, faculty, _pupils, _registered, _insured, _paid, _waived, _subsidised, _pupils - _registered, _registered - _insured,
                _pupils > 0 ? Math.Round((decimal)_insured / _pupils, 4, MidpointRounding.AwayFromZero) : null);
    }
}
