using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Collection.Domain.Enrolments;

namespace Collection.Functions.Ledger;

/*
 Storage layout of the ledger, and why.

 Table `enrolments` holds a person's whole book in one partition, one row per fact, so an enrolment holds
 any number of payments, refunds and changes (a row is at most 1 MiB and a property 64 KiB; a list in one
 property broke at about the 100th payment):
   enrolment  PK = "{policy}|{bucket}"  RK = "e|{idNumber}"                     the current enrolment: terms, status, money sums
   payment    PK = same               RK = "p|{idNumber}|{transactionId}"      one posted payment, with the change it made
   change     PK = same               RK = "h|{idNumber}|{generation}|{seq}"   one history entry (enrolled, reassessed, cancelled, …)
   refund     PK = same               RK = "r|{idNumber}|{caseId}"            money paid back for a refund case
   archived   PK = same               RK = "x|{idNumber}|{generation}"        an earlier, cancelled enrolment, kept as it was
   attached   PK = "{policy}|{bucket of the reference}"  RK = "a|{reference}"  a newborn registered before birth under a
              reference (NB-…) whose ID number was attached: the enrolment and all its rows moved to the ID's partition
 bucket = FNV-1a of the ID number mod 64, two digits ("00".."63"): deterministic, so a point read
 (GET /api/enrolments/{policy}/{idNumber}, every payment) computes the key from what it is given.
 generation = 1 for the first enrolment of a person under a policy, one more for each re-enrolment after a
 cancellation; payments, changes and refunds carry the generation they belong to.

 - All rows of a person share a partition, so posting is ONE entity-group transaction: insert the
   payment row + replace the enrolment row (its sums) with its ETag; a refund or a change likewise. Either both land or neither; a concurrent
   writer gets 412 and retries from a fresh read. The payment row's key is also a uniqueness guard
   (a second insert of the same transaction for the same person fails with 409).
 - Azure serves about 2,000 entities/s per partition. One partition per policy would cap a tax
   return at ~1,000 payments/s (2 entities each); 64 buckets spread one policy over 64 partitions
   (~128,000 entities/s, beyond the 20,000/s account target), so the account, not a partition, is
   the limit. One partition per person would spread as well but leave nothing to batch: with
   buckets, a file's payments group into transactions of up to 100 rows (50 people) per partition.
 - Listing a policy is one PK range scan "{policy}|" .. "{policy}|~" (64 partitions in key order),
   filtered server-side on RK prefix "e|" and on status/town/source columns.

 Table `ledgertransactions`: PK = transactionId, RK = "". The global index that makes a tax
 transaction post once across persons, files, hosts and restarts. It is claimed (inserted) BEFORE
 posting; the posting itself is idempotent (payment-row key), so a crash between claim and posting
 leaves a claim that the next attempt completes: it finds the claim, sees the payment row missing,
 and posts. A claim naming another person or amount is a reuse of the transaction id (409). A
 rejected posting keeps its claim with the reason: reconciliation lists it as an unmatched payment,
 and a later re-post (after the person enrols) is tried again. One partition per transaction: no
 hot partition, at the cost of one single-entity write per payment.

 Table `employeeinsurance`: PK = bucket, RK = idNumber: people known to be in employee insurance
 (参加职工医保), whose enrolment is refused.

 ID numbers are stored in clear (staff look people up by them); logs only ever get ResidentId.Masked.
*/

/// <summary>Keys of the ledger tables (see the layout note above).</summary>
public static class LedgerKeys
{
    public const int Buckets = 64;

    public static int Bucket(string idNumber)
    {
        ArgumentNullException.ThrowIfNull(idNumber);
        var hash = 2166136261u;
        foreach (var c in idNumber)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Buckets);
    }

    public static string Partition(string policy, string idNumber) =>
        string.Create(CultureInfo.InvariantCulture, $"{policy}|{Bucket(idNumber):D2}");

    /// <summary>
    /// Claims spread over <see cref="Buckets"/> partitions by a hash of the transaction id, so a tax return's
    /// claims go in as batched entity-group inserts (one partition per transaction id would cost a round trip each).
    /// </summary>
    public static string ClaimPartition(string transactionId) =>
        string.Create(CultureInfo.InvariantCulture, $"t{Bucket(transactionId):D2}");

    public static string EnrolmentRow(string idNumber) => "e|" + idNumber;

    public static string PaymentRow(string idNumber, string transactionId) => $"p|{idNumber}|{transactionId}";

    public static string ChangeRow(string idNumber, int generation, int sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"h|{idNumber}|{generation:D3}|{sequence:D8}");

    public static string RefundRow(string idNumber, string caseId) => $"r|{idNumber}|{caseId}";

    public static string AttachedRow(string reference) => "a|" + reference;

    public static string ArchivedRow(string idNumber, int generation) =>
        string.Create(CultureInfo.InvariantCulture, $"x|{idNumber}|{generation:D3}");

    /// <summary>A person's rows of one kind (<c>p</c>, <c>h</c>, <c>r</c>, <c>x</c>) in their partition: "k|id|" up to "k|id}" ('}' follows '|').</summary>
    public static string PersonRowsFilter(string policy, string idNumber, char kind) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {Partition(policy, idNumber)} and RowKey gt {$"{kind}|{idNumber}|"} and RowKey lt {$"{kind}|{idNumber}}}"}");

    public static string PolicyFilter(string policy) =>
        TableClient.CreateQueryFilter($"PartitionKey ge {policy + "|"} and PartitionKey lt {policy + "|~"}");

    public static string EnrolmentRowsFilter => "RowKey ge 'e|' and RowKey lt 'e}'";

    public static string PaymentRowsFilter => "RowKey ge 'p|' and RowKey lt 'p}'";

    public static string RefundRowsFilter => "RowKey ge 'r|' and RowKey lt 'r}'";

    /// <summary>Characters Azure Tables forbids in keys, plus the separator of our own keys.</summary>
    public static bool IsValidTransactionId(string? id) =>
        !string.IsNullOrWhiteSpace(id) && id.Length <= 100 && id.Trim() == id
        && !id.Any(c => c is '/' or '\\' or '#' or '?' or '|' || char.IsControl(c));
}

/// <summary>Money is stored as invariant decimal text: Tables has no decimal type and doubles are not exact.</summary>
internal static class Money
{
    public static string Text(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    public static decimal Parse(string? text) => decimal.Parse(text ?? "0", NumberStyles.Number, CultureInfo.InvariantCulture);
}

/// <summary>One enrolment row: queryable columns plus the whole domain state as JSON.</summary>
public sealed class EnrolmentEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Policy { get; set; } = "";

    public string IdNumber { get; set; } = "";

    public string? Name { get; set; }

    public string? Phone { get; set; }

    public string? Address { get; set; }

    public string? Town { get; set; }

    /// <summary>院系 of a university student (from the roster); null for everyone else.</summary>
    public string? Faculty { get; set; }

    public string Source { get; set; } = "";

    /// <summary>Status code (<c>assessed</c>, <c>paid</c>, …) as of the last write; the timers keep it current.</summary>
    public string Status { get; set; } = "";

    public string EnrolledOn { get; set; } = "";

    public string SubsidyMode { get; set; } = "";

    public string Payable { get; set; } = "0.00";

    public string Subsidy { get; set; } = "0.00";

    public string Paid { get; set; } = "0.00";

    public string Balance { get; set; } = "0.00";

    public string Overpayment { get; set; } = "0.00";

    public int Generation { get; set; } = 1;

    public int PaymentCount { get; set; }

    public string PersonPaid { get; set; } = "0.00";

    public string GovernmentPaid { get; set; } = "0.00";

    public int RefundCount { get; set; }

    public string Refunded { get; set; } = "0.00";

    public string SubsidyRefunded { get; set; } = "0.00";

    /// <summary>How many change rows the history holds for this generation (the next one's sequence number).</summary>
    public int ChangeCount { get; set; }

    /// <summary>The assessment request as given (codes), so a payment can be re-assessed as of its day.</summary>
    public string Request { get; set; } = "{}";

    /// <summary>The domain <see cref="Enrolment"/>'s terms, dates and status (JSON of fixed size; payments and history are rows).</summary>
    public string State { get; set; } = "{}";
}

/// <summary>One posted payment (到账划账), in its enrolment's partition.</summary>
public sealed class PaymentEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Policy { get; set; } = "";

    public string IdNumber { get; set; } = "";

    public string TransactionId { get; set; } = "";

    public string Amount { get; set; } = "0.00";

    public string PaidOn { get; set; } = "";

    public string Channel { get; set; } = "";

    public bool InTreasury { get; set; }

    public DateTimeOffset PostedAt { get; set; }

    public string Actor { get; set; } = "";

    public int Generation { get; set; } = 1;

    /// <summary><c>person</c> or <c>government</c> (the subsidised share paid through tax).</summary>
    public string Payer { get; set; } = "person";

    /// <summary>代收单位 (community:…, school:…, township:…, window); empty when the person paid tax directly.</summary>
    public string Collector { get; set; } = "";

    public string InTreasuryOn { get; set; } = "";

    /// <summary>What put the payment in the treasury: its posting, a tax return, a remittance.</summary>
    public string InTreasuryBy { get; set; } = "";

    /// <summary>The enrolment's status after this payment, and what the posting said (the history entry of the payment).</summary>
    public string StatusAfter { get; set; } = "";

    public string Detail { get; set; } = "";
}

/// <summary>One history entry of an enrolment (all but payments, whose rows are their own entries).</summary>
public sealed class ChangeEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public int Generation { get; set; } = 1;

    public DateTimeOffset At { get; set; }

    public string Actor { get; set; } = "";

    public string Cause { get; set; } = "";

    public string Status { get; set; } = "";

    public string? Detail { get; set; }
}

/// <summary>Money paid back for a refund case, in the enrolment's book.</summary>
public sealed class RefundEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Policy { get; set; } = "";

    public string IdNumber { get; set; } = "";

    public int Generation { get; set; } = 1;

    public string CaseId { get; set; } = "";

    public string Amount { get; set; } = "0.00";

    public bool Subsidy { get; set; }

    public string Reason { get; set; } = "";

    public string Channel { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public string Actor { get; set; } = "";
}

/// <summary>The global claim of a transaction id (table <c>ledgertransactions</c>).</summary>
public sealed class TransactionClaimEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Policy { get; set; } = "";

    public string IdNumber { get; set; } = "";

    public string Amount { get; set; } = "0.00";

    public string PaidOn { get; set; } = "";

    public string Channel { get; set; } = "";

    public bool InTreasury { get; set; }

    public DateTimeOffset ClaimedAt { get; set; }

    /// <summary>Set while the posting stands rejected (e.g. <c>no-assessment</c>); cleared once posted.</summary>
    public string? Rejection { get; set; }
}

/// <summary>Where a newborn's registration reference went: the child's ID number, once attached (the reference keeps answering).</summary>
public sealed class AttachedReferenceEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Policy { get; set; } = "";

    /// <summary>The child's ID number the enrolment moved to.</summary>
    public string AttachedTo { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public string Actor { get; set; } = "";
}

/// <summary>A person known to be in employee insurance (table <c>employeeinsurance</c>).</summary>
public sealed class EmployeeInsuranceEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Since { get; set; } = "";

    public string Source { get; set; } = "";

    public string Actor { get; set; } = "";
}

/// <summary>The JSON shape of <see cref="EnrolmentEntity.State"/>.</summary>
internal sealed record EnrolmentState(
    EnrolmentTerms Terms,
    DateOnly EnrolledOn,
    DateOnly CoverageStart,
    EnrolmentStatus Status,
    string? CancellationReason,
    DateTimeOffset? CancelledAt = null,
    EnrolmentChange? Registration = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static string Serialize(Enrolment enrolment) => JsonSerializer.Serialize(
        new EnrolmentState(enrolment.Terms, enrolment.EnrolledOn, enrolment.CoverageStart, enrolment.Status, enrolment.CancellationReason, enrolment.CancelledAt, enrolment.Registration),
        Json);

    public static Enrolment Deserialize(EnrolmentEntity entity)
    {
        var state = JsonSerializer.Deserialize<EnrolmentState>(entity.State, Json)
            ?? throw new InvalidOperationException($"Enrolment row {entity.PartitionKey}/{entity.RowKey[..Math.Min(8, entity.RowKey.Length)]}… has no state.");
        var money = new EnrolmentMoney(entity.PaymentCount, Money.Parse(entity.PersonPaid), Money.Parse(entity.GovernmentPaid),
            entity.RefundCount, Money.Parse(entity.Refunded), Money.Parse(entity.SubsidyRefunded));
        return Enrolment.Restore(entity.Policy, entity.IdNumber, entity.Source, state.Terms, state.EnrolledOn, state.CoverageStart, state.Status,
            state.CancellationReason, money, entity.Generation, state.CancelledAt, state.Registration);
    }
}
