using Collection.Functions.Assessments;

namespace Collection.Functions.Ledger;

/// <summary>
/// The one table from ledger error kinds to HTTP statuses, used by every ledger-facing HTTP function (and the way
/// the request parser's errors, which carry a status, enter the ledger).
/// </summary>
public static class LedgerProblems
{
    private static readonly Dictionary<LedgerErrorKind, int> Statuses = new()
    {
        [LedgerErrorKind.Invalid] = StatusCodes.Status400BadRequest,
        [LedgerErrorKind.NotFound] = StatusCodes.Status404NotFound,
        [LedgerErrorKind.Conflict] = StatusCodes.Status409Conflict,
        [LedgerErrorKind.Refused] = StatusCodes.Status422UnprocessableEntity,
    };

    public static int Status(LedgerErrorKind kind) => Statuses[kind];

    public static RequestError ToRequestError(this LedgerError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(Status(error.Kind), error.Code, error.Title, error.Detail, error.Field) { Extensions = error.Extensions };
    }

    /// <summary>The problem details of a ledger error.</summary>
    public static IResult ToResult(this LedgerError error) => error.ToRequestError().ToResult();

    /// <summary>An error of the request parser or the person's other insurance, as the ledger answers it (its status read back through the table).</summary>
    public static LedgerError ToLedgerError(this RequestError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var kind = Statuses.Single(s => s.Value == error.Status).Key;
        return new(kind, error.Code, error.Title, error.Detail, error.Field) { Extensions = error.Extensions };
    }
}
