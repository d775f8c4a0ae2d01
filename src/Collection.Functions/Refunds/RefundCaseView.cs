using Collection.Domain.Codes;
using Collection.Domain.Refunds;

namespace Collection.Functions.Refunds;

/// <summary>One line of a case's history as the API shows it.</summary>
public sealed record RefundHistoryView(string Event, DateTimeOffset Time, string Actor, string? Comment);

/// <summary>
/// A refund case as the API shows it (also the workflow's custom status, so listing needs no second
/// store). The ID number is masked: this view also reaches logs and the admin API.
/// </summary>
public sealed record RefundCaseView
{
    public string Id { get; init; } = "";

    public string Policy { get; init; } = "";

    public string IdNumber { get; init; } = "";

    public string Reason { get; init; } = "";

    public string Stage { get; init; } = "";

    public string? Channel { get; init; }

    public decimal? Amount { get; init; }

    public decimal? ToPerson { get; init; }

    public decimal? ToFund { get; init; }

    public bool? CancelsEnrolment { get; init; }

    public IReadOnlyList<string> WaitingFor { get; init; } = [];

    public DateTimeOffset? WaitingSince { get; init; }

    public DateTimeOffset? RemindAt { get; init; }

    public bool Overdue { get; init; }

    public string? Outcome { get; init; }

    public string? OutcomeCode { get; init; }

    public IReadOnlyList<RefundHistoryView> History { get; init; } = [];

    public static RefundCaseView From(RefundCase refundCase)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        var check = refundCase.Check is { Passed: true } passed ? passed : null;
        return new RefundCaseView
        {
            Id = refundCase.Id,
            Policy = refundCase.Application.Policy,
            IdNumber = Mask(refundCase.Application.IdNumber),
            Reason = Glossary.RefundReasons.Code(refundCase.Application.Reason),
            Stage = RefundProcess.StageCode(refundCase.Stage),
            Channel = check?.Channel is { } channel ? Glossary.RefundChannels.Code(channel) : null,
            Amount = check?.Amount,
            ToPerson = check?.ToPerson,
            ToFund = check?.ToFund,
            CancelsEnrolment = check?.CancelsEnrolment,
            WaitingFor = RefundProcess.Awaiting(refundCase.Stage),
            WaitingSince = refundCase.WaitingSince,
            RemindAt = RefundProcess.ReminderAt(refundCase),
            Overdue = refundCase.Overdue,
            Outcome = refundCase.Outcome,
            OutcomeCode = refundCase.OutcomeCode,
            History = [.. refundCase.History.Select(h => new RefundHistoryView(h.Event, h.At, h.Actor, h.Comment))],
        };
    }

    /// <summary><c>110101********4511</c> for a resident ID; any other document as its own mask (a passport <c>PP-USA-******78</c>); never in clear.</summary>
    public static string Mask(string idNumber) =>
        Domain.ResidentId.TryParse(idNumber, out var id) ? id.Masked
        : idNumber.Length == 18 ? string.Concat(idNumber.AsSpan(0, 6), "********", idNumber.AsSpan(14))
        : new string('*', Math.Max(0, idNumber.Length - 2)) + idNumber[Math.Max(0, idNumber.Length - 2)..];
}
