using System.Buffers.Text;
using System.Text;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Ledger;

/// <summary>
/// <c>POST /api/enrolments</c> (staff, admin) registers a person; <c>GET /api/enrolments/{policy}/{idNumber}</c>
/// shows one with its assessment, payments, status and history; <c>GET /api/enrolments?policy=…</c> lists, paged.
/// <c>POST /api/enrolments/newborns</c> registers a child before birth under a reference, and
/// <c>POST /api/enrolments/{policy}/{reference}/attach-id</c> moves it to the child's ID number after birth.
/// </summary>
public sealed class EnrolmentsApi(EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock, SubsidyIdentityBook identities)
{
    /// <summary>Enrol a person under a policy (assessment request + name, phone, address, town, source); community staff their own town's people.</summary>
    [Function("Enrol")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Community)]
    public Task<IResult> Enrol(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enrolments")] HttpRequest request, CancellationToken cancellationToken) =>
        EnrolAsync(request, cancellationToken);

    /// <summary>Register a child before birth: expected birth date and a parent's ID; answers the registration reference (NB-…).</summary>
    [Function("RegisterNewborn")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> RegisterNewborn(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enrolments/newborns")] HttpRequest request, CancellationToken cancellationToken) =>
        RegisterNewbornAsync(request, cancellationToken);

    /// <summary>Attach the child's ID number to its registration before birth: the enrolment continues under the ID.</summary>
    [Function("AttachNewbornId")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> AttachId(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enrolments/{policy}/{reference}/attach-id")] HttpRequest request, string policy, string reference, CancellationToken cancellationToken) =>
        AttachIdAsync(request, policy, reference, cancellationToken);

    /// <summary>One enrolment: assessment, payments, status and history.</summary>
    [Function("GetEnrolment")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "enrolments/{policy}/{idNumber}")] HttpRequest request, string policy, string idNumber, CancellationToken cancellationToken) =>
        GetAsync(policy, idNumber, cancellationToken);

    /// <summary>A policy's enrolments, filtered by status, town and source; pass continuation back for the next page.</summary>
    [Function("ListEnrolments")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "enrolments")] HttpRequest request, CancellationToken cancellationToken) =>
        Query.TryInt(request, "pageSize", out var pageSize, out var problem)
            ? ListAsync(Query.Text(request, "policy"), Query.Text(request, "status"), Query.Text(request, "town"), Query.Text(request, "source"), pageSize, Query.Text(request, "continuation"), ledger, policies, cancellationToken)
            : Task.FromResult(problem!);

    private async Task<IResult> EnrolAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<EnrolmentRequestBody>(http, "enrolment request", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (!AssessmentRequestParser.TryParse(body, policies, clock.Today, out var policy, out var request, out error))
        {
            return error.ToResult();
        }

        if (TextLimits.First(
                TextLimits.Check("name", body.Name, TextLimits.Name),
                TextLimits.Check("phone", body.Phone, TextLimits.Phone),
                TextLimits.Check("address", body.Address, TextLimits.Address),
                TextLimits.Check("town", body.Town, TextLimits.Town),
                TextLimits.Check("source", body.Source, TextLimits.Source)) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var user = http.HttpContext.User;
        if (!CommunityDesk.TryTown(user, body.Town, out var town, out error))
        {
            return error.ToResult();
        }

        var person = new PersonDetails(Clean(body.Name), Clean(body.Phone), Clean(body.Address), Clean(town));
        var source = Clean(body.Source) ?? (CommunityDesk.IsCommunityOnly(user) ? CommunityDesk.Source : "window");
        var result = await ledger.EnrolAsync(new EnrolmentApplication(policy, request, person, source), user.Actor(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.Entry is { } entry
            ? TypedResults.Created($"/api/enrolments/{entry.Policy}/{entry.IdNumber}", EnrolmentBody.From(entry, [], entry.Enrolment.Changes))
            : result.Error!.ToResult();
    }

    private static readonly Dictionary<string, string> Relationships = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mother"] = "mother", ["母亲"] = "mother", ["母"] = "mother",
        ["father"] = "father", ["父亲"] = "father", ["父"] = "father",
        ["guardian"] = "guardian", ["监护人"] = "guardian",
    };

    private async Task<IResult> RegisterNewbornAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<NewbornRegistrationBody>(http, "newborn registration", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.Policy) || !policies.TryGet(body.Policy, out Policy? policy))
        {
            return Problems.UnknownPolicy(body.Policy, StatusCodes.Status400BadRequest);
        }

        if (!AssessmentRequestParser.TryDate(body.Date, "date", out var date, out error) || !AssessmentRequestParser.TryInPolicyYears(date, "date", policies, out error)
            || !AssessmentRequestParser.TryDate(body.ExpectedBirthDate, "expectedBirthDate", out var expected, out error))
        {
            return error.ToResult();
        }

        if (expected is not { } expectedBirth)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-field", "The expected birth date is missing.", "expectedBirthDate: required (yyyy-MM-dd).", "expectedBirthDate");
        }

        var day = date ?? clock.Today;
        if (body.Parent?.IdNumber is not { Length: > 0 } parentText)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-field", "The parent's ID number is missing.", "parent.idNumber: required (四(三) “需提供新生儿父母身份证件”).", "parent.idNumber");
        }

        if (!AssessmentRequestParser.TryIdNumber(parentText, day, out var parent, out error, "parent.idNumber") || parent.IsNewbornReference)
        {
            return (error ?? new RequestError(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.", "parent.idNumber: a parent's document number, not a registration reference.", "parent.idNumber")).ToResult();
        }

        if (!Relationships.TryGetValue(body.Parent.Relationship?.Trim() ?? "", out var relationship))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-relationship", "Unknown relationship.", $"parent.relationship: '{body.Parent.Relationship}' is not mother, father or guardian (母亲, 父亲, 监护人).", "parent.relationship");
        }

        if (body.Child is < 1 or > 9)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-child", "Invalid child order.", "child: 1 to 9 (twins: 1 and 2); default 1.", "child");
        }

        var check = NewbornRegistration.CheckRegistration(day, expectedBirth);
        if (check != NewbornRegistrationError.None)
        {
            return Problems.Problem(StatusCodes.Status422UnprocessableEntity, NewbornRegistration.Code(check), "The expected birth date does not allow a registration before birth.",
                $"expectedBirthDate {IsoDate.Text(expectedBirth)}, registration {IsoDate.Text(day)}: it must be after the registration day and at most {NewbornRegistration.MostDaysAhead} days ahead.", "expectedBirthDate",
                new Dictionary<string, object?> { ["detailZh"] = NewbornRegistration.Message(check, expectedBirth, day) });
        }

        if (TextLimits.First(
                TextLimits.Check("name", body.Name, TextLimits.Name),
                TextLimits.Check("parent.name", body.Parent.Name, TextLimits.Name),
                TextLimits.Check("phone", body.Phone, TextLimits.Phone),
                TextLimits.Check("address", body.Address, TextLimits.Address),
                TextLimits.Check("town", body.Town, TextLimits.Town),
                TextLimits.Check("source", body.Source, TextLimits.Source)) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var reference = NewbornRegistration.Reference(policy.Code, parent, expectedBirth, body.Child ?? 1);
        var request = new Domain.Assessments.AssessmentRequest
        {
            Id = reference,
            BirthDate = expectedBirth,
            Population = Domain.Codes.Population.Newborn,
            LocalHukou = body.LocalHukou ?? true,
            ResidencePermit = body.ResidencePermit ?? false,
            Newborn = new Domain.Assessments.NewbornFacts(true, body.ParentInsured ?? false, day),
            Date = day,
        };
        var kept = new NewbornBody
        {
            RegistrationReference = reference.ToString(),
            ExpectedBirthDate = IsoDate.Text(expectedBirth),
            Parent = new NewbornParentBody(parent.ToString(), Clean(body.Parent.Name), relationship),
        };
        var person = new PersonDetails(Clean(body.Name), Clean(body.Phone), Clean(body.Address), Clean(body.Town));
        var result = await ledger.EnrolAsync(new EnrolmentApplication(policy, request, person, Clean(body.Source) ?? "window", BeforeBirth: kept), http.HttpContext.User.Actor(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.Entry is { } entry
            ? TypedResults.Created($"/api/enrolments/{entry.Policy}/{entry.IdNumber}", EnrolmentBody.From(entry, [], entry.Enrolment.Changes))
            : result.Error!.ToResult();
    }

    private async Task<IResult> AttachIdAsync(HttpRequest http, string policy, string reference, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status404NotFound);
        }

        if (!ResidentId.TryParse(reference, out var key) || !key.IsNewbornReference)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-reference", "Invalid registration reference.", "reference: NB- and 13 characters, as the registration before birth answered it.", "reference");
        }

        var (body, error) = await JsonRequests.ReadAsync<AttachIdBody>(http, "attach-id request", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.IdNumber))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-field", "The child's ID number is missing.", "idNumber: required.", "idNumber");
        }

        if (!AssessmentRequestParser.TryIdNumber(body.IdNumber, clock.Today, out var child, out error))
        {
            return error.ToResult();
        }

        var result = await ledger.AttachIdAsync(known, key, child, http.HttpContext.User.Actor(), cancellationToken).ConfigureAwait(false);
        if (result.Entry is not { } entry)
        {
            return result.Error!.ToResult();
        }

        var payments = await ledger.GetPaymentsAsync(known.Code, child, cancellationToken: cancellationToken).ConfigureAwait(false);
        var history = await ledger.GetHistoryAsync(known.Code, child, cancellationToken: cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(EnrolmentBody.From(entry, payments, history));
    }

    private async Task<IResult> GetAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status404NotFound);
        }

        if (!AssessmentRequestParser.TryIdNumber(idNumber, null, out var id, out var error))
        {
            return error.ToResult();
        }

        // A newborn's registration reference keeps answering after the child's ID was attached.
        if (id.IsNewbornReference && await ledger.AttachedToAsync(known.Code, id, cancellationToken).ConfigureAwait(false) is { } attached)
        {
            id = attached;
        }

        if (await ledger.GetAsync(known.Code, id, cancellationToken).ConfigureAwait(false) is not { } entry)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "not-enrolled", "Not enrolled.", $"{id.Masked} has no enrolment under {known.Code}.", "idNumber");
        }

        var spells = await identities.ForPersonAsync(id, cancellationToken).ConfigureAwait(false);
        var mine = spells.Where(s => s.Policy == known.Code).ToList();
        var today = clock.Today;
        var payments = ledger.GetPaymentsAsync(known.Code, id, cancellationToken: cancellationToken);
        var history = ledger.GetHistoryAsync(known.Code, id, cancellationToken: cancellationToken);
        var refunds = ledger.GetRefundsAsync(known.Code, id, cancellationToken);
        var body = EnrolmentBody.From(entry, await payments.ConfigureAwait(false), await history.ConfigureAwait(false), await refunds.ConfigureAwait(false));
        return TypedResults.Ok(body with
        {
            Identities = [.. mine.Select(IdentitySpellBody.Of)],

            // A claim a list has confirmed since is no longer unconfirmed.
            UnconfirmedIdentities = [.. body.UnconfirmedIdentities.Where(c => !mine.Any(s => s.Covers(today) && Domain.Codes.Glossary.SubsidyIdentities.Code(s.Identity) == c))],
        });
    }

    internal static async Task<IResult> ListAsync(string? policy, string? status, string? town, string? source, int? pageSize, string? continuation, EnrolmentLedger ledger, PolicyCatalog policies, CancellationToken cancellationToken, bool maskIds = false)
    {
        if (string.IsNullOrWhiteSpace(policy) || !policies.TryGet(policy, out Policy? known))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        Domain.Enrolments.EnrolmentStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!LedgerCodes.TryParseStatus(status, out var parsed))
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-status", "Unknown status.",
                    $"'{status}' is not a status (assessed, paid, active, expired, cancelled).", "status");
            }

            wanted = parsed;
        }

        if (pageSize is < 1 or > 1000)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-page-size", "Invalid page size.", "pageSize: 1 to 1000 (default 100).", "pageSize");
        }

        if (!TryDecode(continuation, out var token))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-continuation", "Invalid continuation token.",
                "continuation: pass back the value of a previous page as given.", "continuation");
        }

        var page = await ledger.ListAsync(new ListQuery(known.Code, wanted, Clean(town), Clean(source), pageSize ?? 100, token), cancellationToken).ConfigureAwait(false);
        var items = page.Items.Select(EnrolmentSummary.From);
        if (maskIds)
        {
            // Not for staff (a school's own pupils): ID numbers masked, as in the school's roster results.
            items = items.Select(i => i with { IdNumber = ResidentId.TryParse(i.IdNumber, out var id) ? id.Masked : "******" });
        }

        return TypedResults.Ok(new EnrolmentPage([.. items], page.Continuation is null ? null : Encode(page.Continuation)));
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    // The storage continuation is "next-partition next-row": base64url keeps it one URL-safe, opaque value.
    private static string Encode(string token) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(token));

    private static bool TryDecode(string? text, out string? token)
    {
        token = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        try
        {
            token = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
            return token.Contains(' ', StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
