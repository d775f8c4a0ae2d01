using System.Security.Claims;
using Collection.Domain.Codes;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// What community and township staff (社区、乡镇街道) may do at their desk: enrol the people of their own town and
/// take their contribution in cash, which they then hold until they remit it to tax (luyang-2023 五(一)
/// "各乡镇街道……代收的现金……30日内……缴入国库"; the remittance, not the posting, puts it in treasury). A key tied to
/// a town (<c>Keys:community:&lt;town&gt;</c>) acts for that town only; staff, tax and admin are not limited here.
/// </summary>
internal static class CommunityDesk
{
    /// <summary>The source an enrolment made at a community desk carries when the caller names none.</summary>
    public const string Source = "community";

    /// <summary>True for a community key (and not also staff, tax or admin, who are not limited).</summary>
    public static bool IsCommunityOnly(ClaimsPrincipal user) =>
        user.IsInRole(FunctionRoles.Community)
        && !user.IsInRole(FunctionRoles.Staff) && !user.IsInRole(FunctionRoles.Admin) && !user.IsInRole(FunctionRoles.Tax);

    /// <summary>The town an enrolment is made for: a town key's own (the body may repeat it, not name another).</summary>
    public static bool TryTown(ClaimsPrincipal user, string? town, out string? result, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out RequestError? error)
    {
        result = town;
        error = null;
        if (!IsCommunityOnly(user) || user.OwnUnit() is not { } own)
        {
            return true;
        }

        if (!string.IsNullOrWhiteSpace(town) && !string.Equals(town.Trim(), own, StringComparison.Ordinal))
        {
            error = ForbiddenUnit(own);
            return false;
        }

        result = own;
        return true;
    }

    /// <summary>
    /// A payment a community key records: cash, not yet in treasury, collected by the key's own unit (named
    /// <c>community:&lt;town&gt;</c> when the body names none), for a person of its town.
    /// </summary>
    public static RequestError? Check(ClaimsPrincipal user, PaymentPosting posting, LedgerEntry? enrolled, out PaymentPosting checkedPosting)
    {
        checkedPosting = posting;
        if (!IsCommunityOnly(user))
        {
            return null;
        }

        if (posting.Channel != PaymentChannel.Cash)
        {
            return new RequestError(StatusCodes.Status403Forbidden, "forbidden-channel", "Community keys record cash payments only.",
                "channel: cash. Other channels are posted by tax (the payment return) or staff.", "channel");
        }

        if (posting.InTreasury)
        {
            return new RequestError(StatusCodes.Status400BadRequest, "cash-not-in-treasury", "Cash a community takes is not in the treasury yet.",
                "inTreasury: false. The remittance (POST /api/remittances) marks it in treasury.", "inTreasury");
        }

        var own = user.OwnUnit();
        var collector = posting.Collector ?? (own is null ? null : "community:" + own);
        if (collector is null || !collector.StartsWith("community:", StringComparison.Ordinal) || (own is not null && collector != "community:" + own))
        {
            return new RequestError(StatusCodes.Status403Forbidden, "forbidden-collector", "A community key records the cash its own unit takes.",
                own is null ? "collector: community:<your town or community>." : $"collector: community:{LogText.Of(own)} (or leave it out).", "collector");
        }

        if (own is not null && enrolled is { Person.Town: var town } && !string.Equals(town, own, StringComparison.Ordinal))
        {
            return ForbiddenUnit(own);
        }

        checkedPosting = posting with { Collector = collector };
        return null;
    }

    private static RequestError ForbiddenUnit(string own) =>
        new(StatusCodes.Status403Forbidden, "forbidden-unit", "This key acts for its own unit only.", $"This key acts for {LogText.Of(own)} only.", "town");
}
