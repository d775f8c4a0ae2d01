using System.Text.Json;
using Azure.Data.Tables;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Functions.Assessments;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// Entity mapping of the ledger's rows (layout in LedgerRecords.cs): the enrolment row from and to the domain
/// <see cref="Enrolment"/>, payment and refund rows, history rows. No I/O; every writer of the table uses it.
/// </summary>
public static class EnrolmentRows
{
    public static LedgerEntry ToEntry(EnrolmentEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return new(
            EnrolmentState.Deserialize(entity),
            new PersonDetails(entity.Name, entity.Phone, entity.Address, entity.Town, entity.Faculty),
            JsonSerializer.Deserialize<AssessmentRequestBody>(entity.Request, EnrolmentState.Json) ?? new AssessmentRequestBody());
    }

    /// <param name="storedChanges">Change rows stored for this generation so far (<see cref="ChangeRows"/> counts new ones in).</param>
    public static EnrolmentEntity ToEntity(Enrolment enrolment, PersonDetails person, AssessmentRequestBody request, int storedChanges = 0)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        ArgumentNullException.ThrowIfNull(person);
        return new()
        {
            PartitionKey = LedgerKeys.Partition(enrolment.Policy, enrolment.IdNumber),
            RowKey = LedgerKeys.EnrolmentRow(enrolment.IdNumber),
            Policy = enrolment.Policy,
            IdNumber = enrolment.IdNumber,
            Name = person.Name,
            Phone = person.Phone,
            Address = person.Address,
            Town = person.Town,
            Faculty = person.Faculty,
            Source = enrolment.Source,
            Status = LedgerCodes.Status(enrolment.Status),
            EnrolledOn = IsoDate.Text(enrolment.EnrolledOn),
            SubsidyMode = Glossary.SubsidyModes.Code(enrolment.Terms.SubsidyMode),
            Payable = Money.Text(enrolment.Terms.Payable),
            Subsidy = Money.Text(enrolment.Terms.Subsidy),
            Paid = Money.Text(enrolment.Paid),
            Balance = Money.Text(enrolment.Balance),
            Overpayment = Money.Text(enrolment.Overpayment),
            Generation = enrolment.Generation,
            PaymentCount = enrolment.Money.PaymentCount,
            PersonPaid = Money.Text(enrolment.Money.PersonPaid),
            GovernmentPaid = Money.Text(enrolment.Money.GovernmentPaid),
            RefundCount = enrolment.Money.RefundCount,
            Refunded = Money.Text(enrolment.Money.Refunded),
            SubsidyRefunded = Money.Text(enrolment.Money.SubsidyRefunded),
            ChangeCount = storedChanges,
            Request = JsonSerializer.Serialize(request, EnrolmentState.Json),
            State = EnrolmentState.Serialize(enrolment),
        };
    }

    /// <summary>The change rows of <paramref name="changes"/>, numbered after those stored; counts them into <paramref name="updated"/>.</summary>
    public static IEnumerable<TableTransactionAction> ChangeRows(EnrolmentEntity updated, IReadOnlyList<EnrolmentChange> changes)
    {
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentNullException.ThrowIfNull(changes);
        var first = updated.ChangeCount;
        updated.ChangeCount += changes.Count;
        return changes.Select((c, k) => new TableTransactionAction(TableTransactionActionType.Add, new ChangeEntity
        {
            PartitionKey = updated.PartitionKey,
            RowKey = LedgerKeys.ChangeRow(updated.IdNumber, updated.Generation, first + k),
            Generation = updated.Generation,
            At = c.At,
            Actor = c.Actor,
            Cause = c.Cause,
            Status = LedgerCodes.Status(c.Status),
            Detail = c.Detail,
        })).ToList();
    }

    /// <summary>The enrolment row as it is, under another row key (an earlier enrolment archived beside the new one).</summary>
    public static EnrolmentEntity Copy(EnrolmentEntity entity, string rowKey)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return new()
        {
            PartitionKey = entity.PartitionKey,
            RowKey = rowKey,
            Policy = entity.Policy,
            IdNumber = entity.IdNumber,
            Name = entity.Name,
            Phone = entity.Phone,
            Address = entity.Address,
            Town = entity.Town,
            Faculty = entity.Faculty,
            Source = entity.Source,
            Status = entity.Status,
            EnrolledOn = entity.EnrolledOn,
            SubsidyMode = entity.SubsidyMode,
            Payable = entity.Payable,
            Subsidy = entity.Subsidy,
            Paid = entity.Paid,
            Balance = entity.Balance,
            Overpayment = entity.Overpayment,
            Generation = entity.Generation,
            PaymentCount = entity.PaymentCount,
            PersonPaid = entity.PersonPaid,
            GovernmentPaid = entity.GovernmentPaid,
            RefundCount = entity.RefundCount,
            Refunded = entity.Refunded,
            SubsidyRefunded = entity.SubsidyRefunded,
            ChangeCount = entity.ChangeCount,
            Request = entity.Request,
            State = entity.State,
        };
    }

    public static PostedPayment ToPayment(PaymentEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new(row.TransactionId, Money.Parse(row.Amount), IsoDate.Parse(row.PaidOn), row.Channel, row.InTreasury, row.PostedAt.ToOffset(ChinaClock.Offset), row.Actor)
        {
            Payer = row.Payer == LedgerCodes.Payer(PaymentPayer.Government) ? PaymentPayer.Government : PaymentPayer.Person,
            Collector = string.IsNullOrEmpty(row.Collector) ? null : row.Collector,
            InTreasuryOn = string.IsNullOrEmpty(row.InTreasuryOn) ? null : IsoDate.Parse(row.InTreasuryOn),
            InTreasuryBy = string.IsNullOrEmpty(row.InTreasuryBy) ? null : row.InTreasuryBy,
        };
    }

    public static RefundEntity ToRefundRow(EnrolmentEntity owner, int generation, RefundEntry refund)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(refund);
        return new()
        {
            PartitionKey = owner.PartitionKey,
            RowKey = LedgerKeys.RefundRow(owner.IdNumber, refund.CaseId),
            Policy = owner.Policy,
            IdNumber = owner.IdNumber,
            Generation = generation,
            CaseId = refund.CaseId,
            Amount = Money.Text(refund.Amount),
            Subsidy = refund.Subsidy,
            Reason = refund.Reason,
            Channel = refund.Channel,
            At = refund.At,
            Actor = refund.Actor,
        };
    }

    public static RefundEntry ToRefund(RefundEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new(row.CaseId, Money.Parse(row.Amount), row.Subsidy, row.Reason, row.Channel, row.At, row.Actor);
    }
}
