using System.Text.Json;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Collection.Functions.Refunds;

/// <summary>The payments on file for a refund case's person (the ID number masked): what the approver weighs.</summary>
public sealed record RefundPaymentsBody(string Id, string Policy, string IdNumber, decimal Paid, IReadOnlyList<PaymentBody> Payments);

/// <summary>
/// <c>GET /api/refunds/{id}/payments</c>: the person's payments under the case's policy, for the roles that see
/// cases (an approver cannot read enrolments, yet decides on the money). Read from the ledger on each call.
/// </summary>
public sealed class RefundPaymentsFunction(IRefundLedger ledger)
{
    private static readonly JsonSerializerOptions InputJson = new(JsonSerializerDefaults.Web);

    [Function("GetRefundPayments")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax, FunctionRoles.Community, FunctionRoles.Approver)]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "refunds/{id}/payments")] HttpRequest request, string id, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        RefundCaseInput? input = null;
        if (id.StartsWith("refund-", StringComparison.Ordinal) && id.Length <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && await durable.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false) is { Name: RefundOrchestration.Name, SerializedInput: { Length: > 0 } text })
        {
            input = JsonSerializer.Deserialize<RefundCaseInput>(text, InputJson);
        }

        if (input is null)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "refund-not-found", "No such refund case.", $"There is no refund case '{LogText.Of(id)}'.", "id");
        }

        var application = input.Application;
        var entry = await ledger.GetAsync(application.Policy, application.IdNumber, cancellationToken).ConfigureAwait(false);
        var payments = entry?.Payments.Select(EnrolmentBody.Payment).ToList() ?? [];
        return Results.Ok(new RefundPaymentsBody(id, application.Policy, RefundCaseView.Mask(application.IdNumber), payments.Sum(p => p.Amount), payments));
    }
}
