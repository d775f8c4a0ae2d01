using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;

namespace Collection.Functions.People;

/// <summary>One fact staff recorded about a person's other insurance (<see cref="InsuranceFact"/>).</summary>
public sealed class PersonFactEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    /// <summary><c>{idNumber}|{kind}|{coverageYear or -}</c>: one fact of a kind per person and year, recorded again in place.</summary>
    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string IdNumber { get; set; } = "";

    public string Kind { get; set; } = "";

    public int? CoverageYear { get; set; }

    public string? Place { get; set; }

    public string Since { get; set; } = "";

    public string? Note { get; set; }

    public string Actor { get; set; } = "";

    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A person's enrolment under some policy, as the one-insurance-a-year check sees it.</summary>
public sealed record OtherEnrolment(string Policy, string Status, string Source, string EnrolledOn);

/// <summary>
/// One person, one insurance a year (dalate-2022 一 “参保人员不得同时参加城乡居民基本医疗保险和职工基本医疗保险，不得重复享受医疗保险待遇”;
/// luyang-2023 二 “已参加职工医保或在外市参加下年度居民医保的，不允许重复参保”): the facts staff record about a person's
/// insurance elsewhere and commitments (dalate-2022 一 “异地户籍人员……需承诺未在其他地区参加基本医疗保险”), and the check
/// the ledger makes before enrolling: no live enrolment under another policy of this deployment whose coverage
/// overlaps, and no recorded insurance elsewhere for the coverage year. Employee insurance stays the ledger's mark.
/// </summary>
public sealed class PersonFacts
{
    private readonly TableClient _facts;
    private readonly TableClient _enrolments;
    private readonly PolicyCatalog _catalog;
    private readonly Lock _gate = new();
    private Task? _created;

    public PersonFacts(TableServiceClient tables, LedgerTables names, PolicyCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _facts = tables.GetTableClient(names.Prefix + "personfacts");
        _enrolments = tables.GetTableClient(names.Enrolments);
        _catalog = catalog;
    }

    public async Task<PersonFactEntity> RecordAsync(ResidentId id, InsuranceFact kind, int? coverageYear, string? place, DateOnly since, string? note, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        var code = Glossary.InsuranceFacts.Code(kind);
        var entity = new PersonFactEntity
        {
            PartitionKey = Partition(idNumber),
            RowKey = string.Create(CultureInfo.InvariantCulture, $"{idNumber}|{code}|{(coverageYear is { } year ? year.ToString(CultureInfo.InvariantCulture) : "-")}"),
            IdNumber = idNumber,
            Kind = code,
            CoverageYear = coverageYear,
            Place = place,
            Since = IsoDate.Text(since),
            Note = note,
            Actor = actor,
            RecordedAt = now,
        };
        await _facts.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entity;
    }

    /// <summary>The person's recorded facts, by kind and year.</summary>
    public async Task<IReadOnlyList<PersonFactEntity>> ForPersonAsync(ResidentId id, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(idNumber)} and RowKey gt {idNumber + "|"} and RowKey lt {idNumber + "|~"}");
        var facts = new List<PersonFactEntity>();
        await foreach (var fact in _facts.QueryAsync<PersonFactEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            facts.Add(fact);
        }

        return facts;
    }

    /// <summary>The person's enrolments under every policy of this deployment (cancelled ones included).</summary>
    public async Task<IReadOnlyList<OtherEnrolment>> EnrolmentsAsync(ResidentId id, CancellationToken cancellationToken)
    {
        var idNumber = id.ToString();
        var found = new List<OtherEnrolment>();
        foreach (var policy in _catalog.Policies)
        {
            try
            {
                var row = await _enrolments.GetEntityIfExistsAsync<EnrolmentEntity>(LedgerKeys.Partition(policy.Code, idNumber), LedgerKeys.EnrolmentRow(idNumber),
                    ["Policy", "Status", "Source", "EnrolledOn"], cancellationToken).ConfigureAwait(false);
                if (row.HasValue)
                {
                    found.Add(new OtherEnrolment(policy.Code, row.Value!.Status, row.Value.Source, row.Value.EnrolledOn));
                }
            }
            catch (RequestFailedException e) when (e.Status == StatusCodes.Status404NotFound)
            {
                return found; // no enrolments table yet: nobody is enrolled anywhere
            }
        }

        return found;
    }

    /// <summary>
    /// Why <paramref name="id"/> cannot enrol under <paramref name="policy"/>: 409 <c>enrolled-under-another-policy</c>
    /// (a live enrolment under another policy whose coverage overlaps, named), 422 <c>insured-elsewhere</c> (recorded
    /// for one of the policy's coverage years); null when neither.
    /// </summary>
    public async Task<RequestError?> RefusalAsync(Policy policy, ResidentId id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        foreach (var other in await EnrolmentsAsync(id, cancellationToken).ConfigureAwait(false))
        {
            if (other.Policy == policy.Code || other.Status == "cancelled" || !_catalog.TryGet(other.Policy, out var otherPolicy)
                || otherPolicy.CoverageStart > policy.CoverageEnd || policy.CoverageStart > otherPolicy.CoverageEnd)
            {
                continue;
            }

            var years = otherPolicy.CoverageStart.Year == otherPolicy.CoverageEnd.Year
                ? otherPolicy.CoverageStart.Year.ToString(CultureInfo.InvariantCulture)
                : $"{otherPolicy.CoverageStart.Year}–{otherPolicy.CoverageEnd.Year}";
            return new RequestError(StatusCodes.Status409Conflict, "enrolled-under-another-policy", "Enrolled under another policy for the same coverage year.",
                $"Enrolled under {other.Policy} on {other.EnrolledOn} from {other.Source} (coverage {IsoDate.Text(otherPolicy.CoverageStart)}..{IsoDate.Text(otherPolicy.CoverageEnd)}); one insurance per person per year.", "idNumber")
            {
                Extensions = new Dictionary<string, object?>
                {
                    ["firstPolicy"] = other.Policy,
                    ["firstSource"] = other.Source,
                    ["firstEnrolledOn"] = other.EnrolledOn,
                    ["detailZh"] = $"此人已于 {other.EnrolledOn} 通过{Domain.Rosters.RosterReasons.DescribeSource(other.Source)}参加 {other.Policy}（{years} 年度）的居民医保，同一年度不能重复参保",
                },
            };
        }

        foreach (var fact in await ForPersonAsync(id, cancellationToken).ConfigureAwait(false))
        {
            if (fact.Kind == Glossary.InsuranceFacts.Code(InsuranceFact.InsuredElsewhere)
                && fact.CoverageYear is { } year && year >= policy.CoverageStart.Year && year <= policy.CoverageEnd.Year)
            {
                var where = string.IsNullOrEmpty(fact.Place) ? "外地" : fact.Place;
                return new RequestError(StatusCodes.Status422UnprocessableEntity, "insured-elsewhere", "Insured elsewhere for this coverage year.",
                    string.Create(CultureInfo.InvariantCulture, $"Recorded on {fact.RecordedAt:yyyy-MM-dd} by {fact.Actor}: insured in {where} for {year}; that insurance must end first."), "idNumber")
                {
                    Extensions = new Dictionary<string, object?>
                    {
                        ["coverageYear"] = year,
                        ["detailZh"] = string.Create(CultureInfo.InvariantCulture, $"已登记此人在{where}参加 {year} 年度基本医疗保险，需先终止原医保关系后方可参保"),
                    },
                };
            }
        }

        return null;
    }

    private static string Partition(string idNumber) => LedgerKeys.Bucket(idNumber).ToString("D2", CultureInfo.InvariantCulture);

    private Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _facts.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return _created.WaitAsync(cancellationToken);
        }
    }
}
