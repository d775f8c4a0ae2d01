namespace Collection.Functions.Ledger;

/// <summary>What kind of refusal a ledger error is; the HTTP layer gives each kind its status (<see cref="LedgerProblems"/>).</summary>
public enum LedgerErrorKind
{
    /// <summary>The request itself is wrong (a field missing or malformed).</summary>
    Invalid,

    /// <summary>What the request names is not in the ledger.</summary>
    NotFound,

    /// <summary>The ledger holds something that excludes it (an enrolment, a transaction id used for another payment).</summary>
    Conflict,

    /// <summary>Well formed, but the rules refuse it (the policy, employee insurance, an unreadable record).</summary>
    Refused,
}

/// <summary>
/// Why the ledger refused something: its kind, a stable <c>code</c> (the problem code, and the reason file reports
/// list per row), English title and detail, the field, and further members of the problem details.
/// </summary>
public sealed record LedgerError(LedgerErrorKind Kind, string Code, string Title, string Detail, string? Field = null)
{
    /// <summary>Further members of the problem details (e.g. the first enrolment of an already-enrolled refusal).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }
}
