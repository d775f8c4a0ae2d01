using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Ledger;

/// <summary><c>POST /api/payments</c> (tax, staff, admin): posts one payment against an enrolment, idempotent by transaction id.</summary>
public sealed class PaymentsApi(EnrolmentLedger ledger, PolicyCatalog policies)
{
    /// <summary>Post a payment (到账划账). The same transactionId again changes nothing and answers the first posting.</summary>
    [Function("PostPayment")]
    [Roles(FunctionRoles.Tax, FunctionRoles.Staff, FunctionRoles.Community)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "payments")] HttpRequest request, CancellationToken cancellationToken) =>
        PostAsync(request, ledger, policies, cancellationToken);

    internal static async Task<IResult> PostAsync(HttpRequest http, EnrolmentLedger ledger, PolicyCatalog policies, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<PaymentRequestBody>(http, "payment", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (!TryPosting(body, policies, out var posting, out error))
        {
            return error.ToResult();
        }

        var user = http.HttpContext.User;
        if (CommunityDesk.IsCommunityOnly(user))
        {
            var enrolled = user.OwnUnit() is null ? null : await ledger.GetAsync(posting.Policy, posting.Id, cancellationToken).ConfigureAwait(false);
            if (CommunityDesk.Check(user, posting, enrolled, out posting) is { } refused)
            {
                return refused.ToResult();
            }
        }

        var result = await ledger.PostPaymentAsync(posting, user.Actor(), cancellationToken).ConfigureAwait(false);
        if (result.Outcome == PostingOutcome.Rejected)
        {
            return result.Error!.ToResult();
        }

        if (result.Entry is not { Enrolment: var enrolment })
        {
            return new RequestError(StatusCodes.Status422UnprocessableEntity, "ledger-record-unreadable", "The person's ledger record cannot be read.",
                "The payment is on file, but the enrolment row cannot be read. Staff: check the enrolment.", "idNumber").ToResult();
        }

        var response = new PaymentResponse(result.Outcome == PostingOutcome.Posted ? "posted" : "duplicate", EnrolmentBody.Payment(result.Payment!),
            LedgerCodes.Status(enrolment.Status), enrolment.Paid, enrolment.Balance, enrolment.Overpayment, IsoDate.Text(enrolment.CoverageStart))
        {
            MarkedInTreasury = result.MarkedInTreasury,
        };
        return result.Outcome == PostingOutcome.Posted
            ? TypedResults.Created($"/api/enrolments/{enrolment.Policy}/{enrolment.IdNumber}", response)
            : TypedResults.Ok(response);
    }

    private static bool TryPosting(PaymentRequestBody body, PolicyCatalog policies, out PaymentPosting posting, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out RequestError? error)
    {
        posting = null!;
        if (string.IsNullOrWhiteSpace(body.Policy) || !policies.TryGet(body.Policy, out var policy))
        {
            error = AssessmentRequestParser.UnknownPolicy(body.Policy);
            return false;
        }

        if (Missing(body.IdNumber, "idNumber", out error) || Missing(body.PaidOn, "paidOn", out error) || Missing(body.Channel, "channel", out error)
            || Missing(body.TransactionId, "transactionId", out error) || Missing(body.Amount, "amount", out error) || Missing(body.InTreasury, "inTreasury", out error))
        {
            return false;
        }

        error = TextLimits.Check("transactionId", body.TransactionId, TextLimits.TransactionId);
        if (error is not null)
        {
            return false;
        }

        if (!AssessmentRequestParser.TryDate(body.PaidOn, "paidOn", out var paidOn, out error)
            || !AssessmentRequestParser.TryInPolicyYears(paidOn, "paidOn", policies, out error)
            || !AssessmentRequestParser.TryIdNumber(body.IdNumber, paidOn, out var id, out error)
            || !AssessmentRequestParser.TryCode(Glossary.PaymentChannels, body.Channel, "channel", "unknown-payment-channel", out var channel, out error))
        {
            return false;
        }

        error = TextLimits.Check("collector", body.Collector, TextLimits.Source);
        if (error is not null)
        {
            return false;
        }

        if (!PaymentPayers.TryParse(body.Payer, channel!.Value, out var payer))
        {
            error = new RequestError(StatusCodes.Status400BadRequest, "unknown-payer", "Unknown payer.",
                $"payer: '{LogText.Of(body.Payer ?? "")}' is not person or government (the assistance fund is always government).", "payer");
            return false;
        }

        posting = new PaymentPosting(policy.Code, id, body.Amount!.Value, paidOn!.Value, channel!.Value, body.TransactionId!, body.InTreasury!.Value)
        {
            Payer = payer,
            Collector = string.IsNullOrWhiteSpace(body.Collector) ? null : body.Collector.Trim(),
        };
        return true;
    }

    private static bool Missing(object? value, string field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RequestError? error)
    {
        error = value is null || (value is string text && string.IsNullOrWhiteSpace(text))
            ? new RequestError(StatusCodes.Status400BadRequest, "missing-field", "A required field is missing.", $"{field} is required.", field)
            : null;
        return error is not null;
    }
}
