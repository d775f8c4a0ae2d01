using Collection.Domain;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;

namespace Collection.Functions.Rosters;

/// <summary>What became of one accepted row in the ledger.</summary>
public enum RosterEnrolOutcomeKind
{
    /// <summary>Not enrolled under the policy before: enrolled now.</summary>
    Enrolled,

    /// <summary>Enrolled before through the same school's roster (a re-upload, or a run resumed after a crash): updated in place.</summary>
    Updated,

    /// <summary>Enrolled through another school or channel: refused, <see cref="RosterEnrolOutcome.Source"/> says which.</summary>
    AlreadyEnrolled,

    /// <summary>Known to be in employee insurance: refused.</summary>
    InEmployeeInsurance,
}

/// <param name="Assessed">
/// The person as enrolled when the identity book changed the assessment (issue 17: the identities the lists confirm
/// apply, a typed one no list confirms does not); null when the row went in as checked.
/// </param>
public sealed record RosterEnrolOutcome(RosterEnrolOutcomeKind Kind, string? Source = null, DateOnly? Since = null, RosterPerson? Assessed = null);

/// <summary>One accepted row on its way to the ledger.</summary>
public sealed record RosterEnrolment(RosterPerson Person, string? SchoolName);

/// <summary>
/// The ledger operations a roster run needs, batched: rows that share a <see cref="IRosterLedgerBatches.BatchKey"/> go to
/// storage together (one entity-group transaction of up to <see cref="MaxBatch"/>).
/// </summary>
public interface IRosterLedger
{
    int MaxBatch { get; }

    /// <summary>Starts writing rows of <paramref name="source"/> (<c>roster:{school}</c>) under a policy, assessed on a day.</summary>
    Task<IRosterLedgerBatches> BeginAsync(Policy policy, string source, DateOnly enrolledOn, string actor, CancellationToken cancellationToken);
}

public interface IRosterLedgerBatches
{
    /// <summary>The key of the batches a person's row goes in (a ledger partition: keys sort as the ledger stores them).</summary>
    string BatchKey(ResidentId id);

    /// <summary>Enrols or updates a batch of people with the same batch key; one outcome per person, in order.</summary>
    Task<IReadOnlyList<RosterEnrolOutcome>> EnrolAsync(IReadOnlyList<RosterEnrolment> batch, CancellationToken cancellationToken);
}
