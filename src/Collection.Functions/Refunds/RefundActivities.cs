using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Domain.Refunds;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Refunds;

/// <summary>Runs the reason's checks against the enrolment and payments on file and what was refunded before.</summary>
/// <remarks>
/// With the identity book and the settlement book (the app's composition): a subsidised-paid-full case takes the
/// identities the departments' lists confirm for the person on the payment day (one named on the application that
/// no list confirms counts only where the policy lets unconfirmed claims subsidise), and pays only what top-ups
/// have not paid already (issue 17: the highest subsidy once, never twice).
/// </remarks>
public sealed class CheckRefund(IRefundLedger ledger, RefundClaims claims, PolicyCatalog catalog,
    Subsidies.SubsidyIdentityBook? identities = null, Supplementary.SubsidySettlementBook? settlements = null)
{
    [Function(RefundOrchestration.CheckActivity)]
    public Task<RefundCheckResult> Run([ActivityTrigger] RefundCaseInput input, FunctionContext context) =>
        RunAsync(input, context?.CancellationToken ?? default);

    public async Task<RefundCheckResult> RunAsync(RefundCaseInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var application = input.Application;
        if (!catalog.TryGet(application.Policy, out var policy))
        {
            return new RefundCheckResult(RefundCheck.Rejected("unknown-policy"), 5);
        }

        var entry = await ledger.GetAsync(application.Policy, application.IdNumber, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return new RefundCheckResult(RefundCheck.Rejected(RefundCodes.NoPayment), policy.RefundReminderDays);
        }

        var person = entry.Person;
        if (application.Identities.Count > 0)
        {
            // Identities named on the application (checked by staff against the department's list) replace those on file.
            var identities = SubsidyIdentitySet.Empty;
            foreach (var code in application.Identities)
            {
                if (Glossary.SubsidyIdentities.TryParse(code, out var identity))
                {
                    identities = identities.With(identity);
                }
            }

            person = person with { Identities = identities };
        }

        var alreadySubsidised = 0m;
        if (application.Reason == RefundReason.SubsidisedPaidFull && Domain.ResidentId.TryParse(application.IdNumber, out var id) && entry.Payments.Count > 0)
        {
            if (identities is not null)
            {
                var paidOn = entry.Payments.Min(p => p.PaidOn);
                var resolved = await identities.ResolveAsync(policy, id, paidOn, person.Identities, person.AllowanceClass, cancellationToken).ConfigureAwait(false);
                person = person with { Identities = resolved.Applied, AllowanceClass = resolved.AllowanceClass };
            }

            if (settlements is not null)
            {
                var credited = await settlements.CreditedAsync(application.Policy, application.IdNumber, cancellationToken).ConfigureAwait(false);
                if (credited.TryGetValue(Supplementary.SettlementKinds.TopUp, out var topUp))
                {
                    alreadySubsidised = Math.Max(0m, topUp.Level - entry.Enrolment.Terms.Subsidy);
                }
            }
        }

        var refunded = await claims.RefundedAsync(application.Policy, application.IdNumber, cancellationToken).ConfigureAwait(false);
        var facts = new RefundFacts
        {
            AlreadySubsidised = alreadySubsidised,
            Reason = application.Reason,
            EventDate = application.EventDate,
            Payments = [.. entry.Payments.Select(ToRefundPayment)],
            Payable = entry.Enrolment.Terms.Payable,
            AlreadyRefunded = refunded,
            Person = person,
            TransactionIds = application.TransactionIds,
        };
        return new RefundCheckResult(RefundChecks.Check(policy, facts), policy.RefundReminderDays);
    }

    internal static RefundPayment ToRefundPayment(Domain.Enrolments.PostedPayment payment) =>
        new(payment.TransactionId, payment.Amount, payment.PaidOn,
            Glossary.PaymentChannels.TryParse(payment.Channel, out var channel) ? channel : PaymentChannel.Online,
            payment.InTreasury);
}

/// <summary>
/// Pays the money back by the original channel: written once per case in the refund book (idempotent by
/// case id, refused beyond what was paid). The reference is what the collection point or bureau quotes.
/// </summary>
public sealed class IssueRefund(IRefundLedger ledger, RefundClaims claims)
{
    [Function(RefundOrchestration.IssueActivity)]
    public Task<string> Run([ActivityTrigger] RefundWorkInput input, FunctionContext context) =>
        RunAsync(input, context?.CancellationToken ?? default);

    public async Task<string> RunAsync(RefundWorkInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var settlement = await RefundBook.SettleAsync(ledger, claims, input, "issued", cancellationToken).ConfigureAwait(false);
        return $"{settlement.Reference}: {settlement.Amount:0.00}";
    }
}

/// <summary>
/// Makes the enrolment agree with the refund: the refund is in the book (for cash handed back by the
/// community, it is recorded here), and the enrolment is cancelled where the reason says so. Both idempotent.
/// </summary>
public sealed class CorrectEnrolment(IRefundLedger ledger, RefundClaims claims)
{
    [Function(RefundOrchestration.CorrectActivity)]
    public Task<string> Run([ActivityTrigger] RefundWorkInput input, FunctionContext context) =>
        RunAsync(input, context?.CancellationToken ?? default);

    public async Task<string> RunAsync(RefundWorkInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var settlement = await RefundBook.SettleAsync(ledger, claims, input, "cash-returned", cancellationToken).ConfigureAwait(false);
        if (!input.Check.CancelsEnrolment)
        {
            return $"{settlement.Amount:0.00} refunded; enrolment stays";
        }

        var reason = $"refund {input.CaseId}: {Glossary.RefundReasons.Code(input.Application.Reason)}";
        await ledger.CancelAsync(input.Application.Policy, input.Application.IdNumber, reason, "refund:" + input.CaseId, cancellationToken).ConfigureAwait(false);
        return $"{settlement.Amount:0.00} refunded; enrolment cancelled";
    }
}

internal static class RefundBook
{
    public static async Task<RefundSettlement> SettleAsync(IRefundLedger ledger, RefundClaims claims, RefundWorkInput input, string kind, CancellationToken cancellationToken)
    {
        var application = input.Application;
        var entry = await ledger.GetAsync(application.Policy, application.IdNumber, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The enrolment of case {input.CaseId} is gone from the ledger.");
        var subsidy = application.Reason == RefundReason.SubsidisedPaidFull;
        var settlement = await claims.SettleAsync(application.Policy, application.IdNumber, input.CaseId, input.Check.Amount, entry.Enrolment.PaidGross, kind, cancellationToken,
            subsidy: subsidy).ConfigureAwait(false);

        // Money out is in the enrolment's book too: its paid, balance and overpayment are net of the refund (issue 18).
        var channel = input.Check.Channel is { } refundChannel ? Glossary.RefundChannels.Code(refundChannel) : "";
        await ledger.RecordRefundAsync(application.Policy, application.IdNumber,
            new RefundEntry(input.CaseId, settlement.Amount, subsidy, Glossary.RefundReasons.Code(application.Reason), channel, settlement.At, "refund:" + input.CaseId),
            cancellationToken).ConfigureAwait(false);
        return settlement;
    }
}
