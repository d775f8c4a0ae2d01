using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Refunds;
using Collection.Functions.Policies;
using Collection.Functions.Refunds;
using Collection.Testing;

namespace Collection.Functions.Tests.Refunds;

/// <summary>The refund book and the activities on a real Azurite: one open case per person, settled once, never beyond what was paid.</summary>
public sealed class RefundBookTests : IAsyncLifetime
{
    private const string Policy = "bagongshan-2022";
    private const string Person = "340405199001011234";
    private RefundClaims _claims = null!;
    private readonly MemoryRefundLedger _ledger = new();

    public async Task InitializeAsync()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        _claims = new RefundClaims(azurite.CreateTableServiceClient(), new RefundTables(AzuriteInstance.UniqueName("rb")), TimeProvider.System);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static Task<bool?> Open(string id, CancellationToken ct) => Task.FromResult<bool?>(true);

    private static Task<bool?> Finished(string id, CancellationToken ct) => Task.FromResult<bool?>(false);

    [Fact]
    public async Task TryOpen_SecondCaseWhileFirstOpen_NamesTheFirst()
    {
        Assert.Null(await _claims.TryOpenAsync(Policy, Person, "refund-a", Open, default));

        Assert.Equal("refund-a", await _claims.TryOpenAsync(Policy, Person, "refund-b", Open, default));
    }

    [Fact]
    public async Task TryOpen_FirstCaseFinished_SecondOpens()
    {
        Assert.Null(await _claims.TryOpenAsync(Policy, Person, "refund-a", Open, default));

        Assert.Null(await _claims.TryOpenAsync(Policy, Person, "refund-b", Finished, default));
    }

    [Fact]
    public async Task TryOpen_EightRacingCases_ExactlyOneOpens()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => _claims.TryOpenAsync(Policy, Person, $"refund-{i}", Open, default)));

        Assert.Single(results, r => r is null);
    }

    [Fact]
    public async Task Settle_Twice_RefundsOnce()
    {
        var first = await _claims.SettleAsync(Policy, Person, "refund-a", 320, 640, "issued", default);
        var second = await _claims.SettleAsync(Policy, Person, "refund-a", 320, 640, "issued", default);

        Assert.Equal(first.Reference, second.Reference);
        Assert.Equal(320m, await _claims.RefundedAsync(Policy, Person, default));
    }

    [Fact]
    public async Task Settle_BeyondPaid_IsRefused()
    {
        await _claims.SettleAsync(Policy, Person, "refund-a", 320, 320, "issued", default);

        await Assert.ThrowsAsync<RefundLimitException>(() => _claims.SettleAsync(Policy, Person, "refund-b", 1, 320, "issued", default));
        Assert.Equal(320m, await _claims.RefundedAsync(Policy, Person, default));
    }

    [Fact]
    public async Task Settle_TwoCasesRacingForTheSamePayment_OnlyOneRefunds()
    {
        var attempts = Enumerable.Range(0, 6).Select(async i =>
        {
            try
            {
                await _claims.SettleAsync(Policy, Person, $"refund-{i}", 320, 320, "issued", default);
                return true;
            }
            catch (RefundLimitException)
            {
                return false;
            }
        });

        var settled = await Task.WhenAll(attempts);

        Assert.Single(settled, s => s);
        Assert.Equal(320m, await _claims.RefundedAsync(Policy, Person, default));
    }

    [Fact]
    public async Task CheckRefund_AfterDuplicateRefunded_SecondDuplicateCaseHasNothingToRefund()
    {
        _ledger.Enrol(Policy, Person, 320, MemoryRefundLedger.Payment("T1", 320), MemoryRefundLedger.Payment("T2", 320));
        var check = new CheckRefund(_ledger, _claims, PolicyFiles.Load(PolicyFiles.DefaultDirectory));
        var application = new RefundApplication { Policy = Policy, IdNumber = Person, Reason = RefundReason.DuplicatePayment };

        var first = await check.RunAsync(new RefundCaseInput("refund-a", application, "staff"), default);
        Assert.Equal(320m, first.Check.Amount);
        Assert.Equal(5, first.ReminderDays);
        await new IssueRefund(_ledger, _claims).RunAsync(new RefundWorkInput("refund-a", application, first.Check), default);

        var second = await check.RunAsync(new RefundCaseInput("refund-b", application, "staff"), default);
        Assert.Equal(RefundCodes.NothingToRefund, second.Check.RejectionCode);
    }

    [Fact]
    public async Task IssueRefund_RunTwice_SameReferenceAndRefundedOnce()
    {
        // Activities are at-least-once: a host killed after the refund was written runs it again.
        _ledger.Enrol(Policy, Person, 320, MemoryRefundLedger.Payment("T1", 320), MemoryRefundLedger.Payment("T2", 320));
        var application = new RefundApplication { Policy = Policy, IdNumber = Person, Reason = RefundReason.DuplicatePayment };
        var check = (await new CheckRefund(_ledger, _claims, PolicyFiles.Load(PolicyFiles.DefaultDirectory))
            .RunAsync(new RefundCaseInput("refund-a", application, "staff"), default)).Check;
        var issue = new IssueRefund(_ledger, _claims);

        var first = await issue.RunAsync(new RefundWorkInput("refund-a", application, check), default);
        var again = await issue.RunAsync(new RefundWorkInput("refund-a", application, check), default);

        Assert.Equal("refund-refund-a: 320.00", first);
        Assert.Equal(first, again);
        Assert.Equal(320m, await _claims.RefundedAsync(Policy, Person, default));
    }

    [Fact]
    public async Task CorrectEnrolment_RunTwice_SettlesOnceAndCancelsOnce()
    {
        _ledger.Enrol(Policy, Person, 320, MemoryRefundLedger.Payment("C1", 320, "cash"));
        var application = new RefundApplication { Policy = Policy, IdNumber = Person, Reason = RefundReason.Deceased, EventDate = new DateOnly(2021, 11, 1) };
        var check = (await new CheckRefund(_ledger, _claims, PolicyFiles.Load(PolicyFiles.DefaultDirectory))
            .RunAsync(new RefundCaseInput("refund-a", application, "staff"), default)).Check;
        Assert.Equal(RefundChannel.CashNotInTreasury, check.Channel);
        var correct = new CorrectEnrolment(_ledger, _claims);

        await correct.RunAsync(new RefundWorkInput("refund-a", application, check), default);
        var again = await correct.RunAsync(new RefundWorkInput("refund-a", application, check), default);

        Assert.Equal("320.00 refunded; enrolment cancelled", again);
        Assert.Equal(1, _ledger.Cancellations);
        Assert.Equal(EnrolmentStatus.Cancelled, _ledger.Find(Policy, Person)!.Status);
        Assert.Equal(320m, await _claims.RefundedAsync(Policy, Person, default));
    }
}
