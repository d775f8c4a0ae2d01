using System.Collections.Immutable;
using Collection.Domain.Codes;

namespace Collection.Domain.Refunds;

/// <summary>Where a refund case stands.</summary>
public enum RefundStage
{
    Checking,
    AwaitingTaxAcceptance,
    AwaitingApproval,
    AwaitingCashReturn,
    Issuing,
    CorrectingEnrolment,
    Done,
    Rejected,
    Failed,
}

/// <summary>What the process needs done next by whoever runs it.</summary>
public enum RefundWork
{
    /// <summary>Run the reason's checks.</summary>
    Check,

    /// <summary>Pay the money back by the original channel (once per case).</summary>
    Issue,

    /// <summary>Record the refund on the enrolment and cancel it where the reason says so.</summary>
    Correct,

    /// <summary>Wait for one of <see cref="RefundProcess.Awaiting"/>, with a reminder.</summary>
    Wait,

    /// <summary>Nothing: the case is over.</summary>
    None,
}

/// <summary>The events people send a case, and the role that may send each.</summary>
public static class RefundEvents
{
    public const string Approve = "approve";
    public const string Reject = "reject";
    public const string TaxAccepted = "tax-accepted";
    public const string CashReturned = "cash-returned";

    public const string ApproverRole = "approver";
    public const string TaxRole = "tax";
    public const string CommunityRole = "community";

    public static IReadOnlyList<string> All { get; } = [Approve, Reject, TaxAccepted, CashReturned];

    /// <summary>The role whose key may send <paramref name="eventName"/>; null for an unknown event.</summary>
    public static string? RoleFor(string eventName) => eventName switch
    {
        Approve or Reject => ApproverRole,
        TaxAccepted => TaxRole,
        CashReturned => CommunityRole,
        _ => null,
    };
}

/// <summary>One line of a case's history: what happened, when, by whose key, with what comment.</summary>
public sealed record RefundHistoryEntry(string Event, DateTimeOffset At, string Actor, string? Comment = null);

/// <summary>A refund case as applied for.</summary>
public sealed record RefundApplication
{
    public string Policy { get; init; } = "";

    public string IdNumber { get; init; } = "";

    public RefundReason Reason { get; init; }

    public DateOnly? EventDate { get; init; }

    public ImmutableList<string> TransactionIds { get; init; } = [];

    public ImmutableList<string> Identities { get; init; } = [];

    public string? ApplicantName { get; init; }

    public string? ApplicantRelation { get; init; }

    public string? ApplicantPhone { get; init; }

    public string? Note { get; init; }
}

/// <summary>
/// One refund case. Immutable and plain (it is the workflow's JSON state); every transition goes
/// through <see cref="RefundProcess"/> and appends to <see cref="History"/>.
/// </summary>
public sealed record RefundCase
{
    public string Id { get; init; } = "";

    public RefundApplication Application { get; init; } = new();

    public RefundStage Stage { get; init; } = RefundStage.Checking;

    public RefundCheck? Check { get; init; }

    /// <summary>Days a wait may last before the case is overdue (the policy's refund reminder days).</summary>
    public int ReminderDays { get; init; } = 5;

    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>The current wait has outlived its reminder; the case keeps waiting.</summary>
    public bool Overdue { get; init; }

    /// <summary>done, rejected or failed once the case is over.</summary>
    public string? Outcome { get; init; }

    public string? OutcomeCode { get; init; }

    public ImmutableList<RefundHistoryEntry> History { get; init; } = [];

    public bool IsOver => Stage is RefundStage.Done or RefundStage.Rejected or RefundStage.Failed;
}

/// <summary>Whether an event was taken.</summary>
public enum RefundEventResult
{
    Accepted,

    /// <summary>The case is not waiting for that event (409 naming <see cref="RefundProcess.Awaiting"/>).</summary>
    NotAwaited,
}

/// <summary>
/// The refund process as a pure state machine: check → the channel's hand-offs → refund issued →
/// enrolment corrected → done. No clock reads, no I/O: the runner supplies the instants and the results.
/// </summary>
public static class RefundProcess
{
    public static string StageCode(RefundStage stage) => stage switch
    {
        RefundStage.Checking => "checking",
        RefundStage.AwaitingTaxAcceptance => "awaiting-tax-acceptance",
        RefundStage.AwaitingApproval => "awaiting-approval",
        RefundStage.AwaitingCashReturn => "awaiting-cash-return",
        RefundStage.Issuing => "issuing",
        RefundStage.CorrectingEnrolment => "correcting-enrolment",
        RefundStage.Done => "done",
        RefundStage.Rejected => "rejected",
        _ => "failed",
    };

    public static bool TryParseStage(string? text, out RefundStage stage)
    {
        foreach (var candidate in Enum.GetValues<RefundStage>())
        {
            if (string.Equals(StageCode(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                stage = candidate;
                return true;
            }
        }

        stage = default;
        return false;
    }

    /// <summary>The events a stage waits for (empty when it waits for none).</summary>
    public static IReadOnlyList<string> Awaiting(RefundStage stage) => stage switch
    {
        RefundStage.AwaitingTaxAcceptance => [RefundEvents.TaxAccepted],
        RefundStage.AwaitingApproval => [RefundEvents.Approve, RefundEvents.Reject],
        RefundStage.AwaitingCashReturn => [RefundEvents.CashReturned],
        _ => [],
    };

    public static RefundWork NextWork(RefundCase refundCase)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        return refundCase.Stage switch
        {
            RefundStage.Checking => RefundWork.Check,
            RefundStage.Issuing => RefundWork.Issue,
            RefundStage.CorrectingEnrolment => RefundWork.Correct,
            RefundStage.AwaitingTaxAcceptance or RefundStage.AwaitingApproval or RefundStage.AwaitingCashReturn => RefundWork.Wait,
            _ => RefundWork.None,
        };
    }

    /// <summary>When the current wait becomes overdue; null when not waiting.</summary>
    public static DateTimeOffset? ReminderAt(RefundCase refundCase)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        return NextWork(refundCase) == RefundWork.Wait && refundCase.WaitingSince is { } since ? since.AddDays(refundCase.ReminderDays) : null;
    }

    public static RefundCase Open(string id, RefundApplication application, DateTimeOffset at, string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(application);
        return new RefundCase
        {
            Id = id,
            Application = application,
            Stage = RefundStage.Checking,
            History = [new RefundHistoryEntry("opened", at, actor, application.Note)],
        };
    }

    /// <summary>The checks came back: rejected with their code, or on to the channel's first hand-off.</summary>
    public static RefundCase Checked(RefundCase refundCase, RefundCheck check, int reminderDays, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        ArgumentNullException.ThrowIfNull(check);
        RequireStage(refundCase, RefundStage.Checking);
        var checkedCase = refundCase with { Check = check, ReminderDays = Math.Max(1, reminderDays) };
        if (!check.Passed)
        {
            return Finish(checkedCase, RefundStage.Rejected, check.RejectionCode, "check-failed", at, "system", check.RejectionCode);
        }

        var first = check.Channel switch
        {
            RefundChannel.WeChatScan => RefundStage.Issuing,
            RefundChannel.CashNotInTreasury => RefundStage.AwaitingCashReturn,
            RefundChannel.CashInTreasury => RefundStage.AwaitingTaxAcceptance,
            _ => RefundStage.AwaitingApproval,
        };
        var detail = $"{check.Amount:0.00} by {Glossary.RefundChannels.Code(check.Channel ?? RefundChannel.Online)}"
            + (check.ToFund > 0 ? $" ({check.ToFund:0.00} to the assistance fund)" : "")
            + (check.CancelsEnrolment ? "; enrolment to be cancelled" : "; enrolment stays");
        return MoveTo(checkedCase with { History = checkedCase.History.Add(new RefundHistoryEntry("checked", at, "system", detail)) }, first, at);
    }

    /// <summary>Takes an event a person sent; an event the case does not wait for is refused and changes nothing.</summary>
    public static (RefundCase Case, RefundEventResult Result) Raise(RefundCase refundCase, string eventName, string actor, string? comment, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        if (!Awaiting(refundCase.Stage).Contains(eventName))
        {
            return (refundCase, RefundEventResult.NotAwaited);
        }

        var recorded = refundCase with { History = refundCase.History.Add(new RefundHistoryEntry(eventName, at, actor, comment)) };
        var next = (refundCase.Stage, eventName) switch
        {
            (RefundStage.AwaitingTaxAcceptance, RefundEvents.TaxAccepted) => MoveTo(recorded, RefundStage.AwaitingApproval, at),
            (RefundStage.AwaitingApproval, RefundEvents.Approve) => MoveTo(recorded, RefundStage.Issuing, at),
            (RefundStage.AwaitingApproval, RefundEvents.Reject) => Finish(recorded, RefundStage.Rejected, RefundCodes.RejectedByBureau, null, at, actor, null),

            // The community hands the cash back itself: nothing to issue, the enrolment is corrected next.
            _ => MoveTo(recorded, RefundStage.CorrectingEnrolment, at),
        };
        return (next, RefundEventResult.Accepted);
    }

    public static RefundCase Issued(RefundCase refundCase, string? reference, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        RequireStage(refundCase, RefundStage.Issuing);
        var withEntry = refundCase with { History = refundCase.History.Add(new RefundHistoryEntry("refund-issued", at, "system", reference)) };
        return MoveTo(withEntry, RefundStage.CorrectingEnrolment, at);
    }

    public static RefundCase Corrected(RefundCase refundCase, string? detail, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        RequireStage(refundCase, RefundStage.CorrectingEnrolment);
        return Finish(refundCase, RefundStage.Done, null, "enrolment-corrected", at, "system", detail);
    }

    /// <summary>The reminder of <paramref name="stage"/>'s wait fired: the case shows overdue and keeps waiting.
    /// A reminder of a wait already over changes nothing.</summary>
    public static RefundCase Remind(RefundCase refundCase, RefundStage stage, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        if (refundCase.Stage != stage || refundCase.Overdue || NextWork(refundCase) != RefundWork.Wait)
        {
            return refundCase;
        }

        var waits = string.Join(" or ", Awaiting(stage));
        return refundCase with
        {
            Overdue = true,
            History = refundCase.History.Add(new RefundHistoryEntry("overdue", at, "system", $"still waiting for {waits} after {refundCase.ReminderDays} days")),
        };
    }

    public static RefundCase Fail(RefundCase refundCase, string error, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(refundCase);
        return refundCase.IsOver ? refundCase : Finish(refundCase, RefundStage.Failed, "activity-failed", "failed", at, "system", error);
    }

    private static RefundCase MoveTo(RefundCase refundCase, RefundStage stage, DateTimeOffset at) =>
        refundCase with
        {
            Stage = stage,
            WaitingSince = Awaiting(stage).Count > 0 ? at : null,
            Overdue = false,
        };

    private static RefundCase Finish(RefundCase refundCase, RefundStage stage, string? code, string? entry, DateTimeOffset at, string actor, string? comment) =>
        refundCase with
        {
            Stage = stage,
            WaitingSince = null,
            Overdue = false,
            Outcome = StageCode(stage),
            OutcomeCode = code,
            History = entry is null ? refundCase.History : refundCase.History.Add(new RefundHistoryEntry(entry, at, actor, comment)),
        };

    private static void RequireStage(RefundCase refundCase, RefundStage stage)
    {
        if (refundCase.Stage != stage)
        {
            throw new InvalidOperationException($"Refund case {refundCase.Id} is {StageCode(refundCase.Stage)}, not {StageCode(stage)}.");
        }
    }
}
