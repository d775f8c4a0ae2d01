using System.Diagnostics.CodeAnalysis;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Policies;

namespace Collection.Functions.Assessments;

/// <summary>
/// Why a request (or a file row) cannot be used: an HTTP status, a stable <c>code</c>, and the field.
/// HTTP answers it as problem details; file reports list it per row.
/// </summary>
public sealed record RequestError(int Status, string Code, string Title, string Detail, string? Field = null)
{
    /// <summary>Further members of the problem details (e.g. the first enrolment of a 409).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public IResult ToResult() => Problems.Problem(Status, Code, Title, Detail, Field, Extensions);

    /// <summary>A ledger error as the request error its HTTP status makes it (<see cref="Ledger.LedgerProblems"/>); null stays null.</summary>
    public static implicit operator RequestError?(Ledger.LedgerError? error) => error is null ? null : Ledger.LedgerProblems.ToRequestError(error);
}

/// <summary>
/// Turns an <see cref="AssessmentRequestBody"/> (codes or Chinese labels, text dates) into the domain's
/// <see cref="AssessmentRequest"/>, with coded errors. Shared by assessments, enrolments and the ledger,
/// which stores the body beside an enrolment so a payment can be re-assessed as of its day.
/// </summary>
public static class AssessmentRequestParser
{
    public static bool TryParse(
        AssessmentRequestBody body,
        PolicyCatalog catalog,
        DateOnly today,
        [NotNullWhen(true)] out Policy? policy,
        [NotNullWhen(true)] out AssessmentRequest? request,
        [NotNullWhen(false)] out RequestError? error)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(catalog);
        request = null;
        if (string.IsNullOrWhiteSpace(body.Policy) || !catalog.TryGet(body.Policy, out policy))
        {
            policy = null;
            error = UnknownPolicy(body.Policy);
            return false;
        }

        if (!TryDate(body.Date, "date", out var date, out error) || !TryInPolicyYears(date, "date", catalog, out error))
        {
            return false;
        }

        var day = date ?? today;
        ResidentId? id = null;
        if (!TryCode(Glossary.DocumentTypes, body.IdType, "idType", "unknown-id-type", out var idType, out error))
        {
            return false;
        }

        if (!string.IsNullOrWhiteSpace(body.IdNumber))
        {
            if (!TryIdNumber(body.IdNumber, day, out var parsed, out error, type: idType, nationality: body.Nationality))
            {
                return false;
            }

            id = parsed;
        }

        if (!TryDate(body.BirthDate, "birthDate", out var birthDate, out error)
            || !TryCode(Glossary.Populations, body.Population, "population", "unknown-population", out var population, out error)
            || !TryCode(Glossary.AllowanceClasses, body.AllowanceClass, "allowanceClass", "unknown-allowance-class", out var allowanceClass, out error)
            || !TryCode(Glossary.UniversityPaymentModes, body.PaymentMode, "paymentMode", "unknown-payment-mode", out var paymentMode, out error)
            || !TryDate(body.Newborn?.RegistrationDate, "newborn.registrationDate", out var registrationDate, out error))
        {
            return false;
        }

        var identities = SubsidyIdentitySet.Empty;
        for (var i = 0; i < (body.Identities?.Count ?? 0); i++)
        {
            if (!Glossary.SubsidyIdentities.TryParse(body.Identities![i], out var identity))
            {
                error = new RequestError(StatusCodes.Status400BadRequest, "unknown-identity", "Unknown subsidy identity.",
                    $"'{body.Identities[i]}' is not a subsidy identity code or label ({string.Join(", ", Glossary.SubsidyIdentities.Codes)}).", $"identities[{i}]");
                return false;
            }

            identities = identities.With(identity);
        }

        request = new AssessmentRequest
        {
            Id = id,
            BirthDate = birthDate,
            Population = population ?? Population.Resident,
            Identities = identities,
            AllowanceClass = allowanceClass,
            // A foreigner (permanent-resident card or passport) has no hukou (户籍): unless said otherwise, they enrol as non-local.
            LocalHukou = body.LocalHukou ?? id is not { IsForeign: true },
            ResidencePermit = body.ResidencePermit ?? false,
            InEmployeeInsurance = body.InEmployeeInsurance ?? false,
            LivesWithLocallyInsuredParent = body.LivesWithLocallyInsuredParent ?? false,
            Newborn = body.Newborn is { } newborn
                ? new NewbornFacts(newborn.RegisteredBeforeBirth, newborn.ParentInsured ?? false, registrationDate)
                : null,
            MigrantWorkerWithProof = body.MigrantWorkerWithProof ?? false,
            PaymentMode = paymentMode,
            NewStudent = body.NewStudent,
            Date = day,
        };
        error = null;
        return true;
    }

    /// <summary>The body that parses back into <paramref name="request"/> (codes, ISO dates): what the ledger stores.</summary>
    public static AssessmentRequestBody ToBody(string policy, AssessmentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new AssessmentRequestBody
        {
            Policy = policy,
            IdNumber = request.Id?.ToString(),
            BirthDate = request.BirthDate is { } birth ? IsoDate.Text(birth) : null,
            Population = Glossary.Populations.Code(request.Population),
            Identities = [.. request.Identities.Identities().Select(Glossary.SubsidyIdentities.Code)],
            AllowanceClass = request.AllowanceClass is { } allowance ? Glossary.AllowanceClasses.Code(allowance) : null,
            LocalHukou = request.LocalHukou,
            ResidencePermit = request.ResidencePermit,
            InEmployeeInsurance = request.InEmployeeInsurance,
            LivesWithLocallyInsuredParent = request.LivesWithLocallyInsuredParent ? true : null,
            Newborn = request.Newborn is { } newborn
                ? new NewbornBody
                {
                    RegisteredBeforeBirth = newborn.RegisteredBeforeBirth,
                    ParentInsured = newborn.ParentInsured,
                    RegistrationDate = newborn.RegistrationDate is { } registered ? IsoDate.Text(registered) : null,
                }
                : null,
            MigrantWorkerWithProof = request.MigrantWorkerWithProof,
            PaymentMode = request.PaymentMode is { } mode ? Glossary.UniversityPaymentModes.Code(mode) : null,
            NewStudent = request.NewStudent,
            Date = request.Date is { } date ? IsoDate.Text(date) : null,
        };
    }

    /// <summary>Why an assessment failed: 422 for a missing fact, 400 for a contradiction; null when it did not fail.</summary>
    public static RequestError? Failure(Policy policy, Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!assessment.Failed)
        {
            return null;
        }

        var error = assessment.Error;
        return error.IsMissingFact()
            ? new RequestError(StatusCodes.Status422UnprocessableEntity, error.Code(), "A fact the policy needs is missing.",
                $"Policy {policy.Code} needs '{error.Field()}' to assess this person.", error.Field())
            : new RequestError(StatusCodes.Status400BadRequest, error.Code(), "The request contradicts itself.",
                error == AssessmentError.BirthDateMismatch
                    ? "birthDate differs from the birth date in idNumber."
                    : "The birth date is after the assessment day (only a newborn registered before birth may be).", error.Field());
    }

    public static RequestError UnknownPolicy(string? code) =>
        new(StatusCodes.Status400BadRequest, "unknown-policy", "Unknown policy.", $"There is no policy '{code}'. GET /api/policies lists them.", "policy");

    /// <summary>
    /// A document number: without <paramref name="type"/>, what the number shows (a citizen's number, a foreign
    /// permanent-resident card's, a passport's key); with it, that document's (a passport needs <paramref name="nationality"/>).
    /// </summary>
    public static bool TryIdNumber(string? text, DateOnly? notAfter, out ResidentId id, [NotNullWhen(false)] out RequestError? error, string field = "idNumber", DocumentType? type = null, string? nationality = null)
    {
        var parsed = type is { } documentType
            ? ResidentId.TryParse(documentType, text, nationality, notAfter, out id, out var reason)
            : ResidentId.TryParse(text, notAfter, out id, out reason);
        if (parsed)
        {
            error = null;
            return true;
        }

        var about = reason is ResidentIdError.MissingNationality or ResidentIdError.InvalidNationality ? "nationality" : field;
        error = new RequestError(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.",
            $"{about}: {ResidentId.Describe(reason)} ({ResidentId.ReasonCode(reason)}).", about)
        {
            Extensions = new Dictionary<string, object?>
            {
                ["reason"] = ResidentId.ReasonCode(reason),
                ["detailZh"] = Domain.Rosters.RosterChecker.IdNumberMessage(text ?? string.Empty, reason),
            },
        };
        return false;
    }

    public static bool TryDate(string? text, string field, out DateOnly? date, [NotNullWhen(false)] out RequestError? error)
    {
        date = null;
        error = null;
        if (text is null)
        {
            return true;
        }

        if (IsoDate.TryParse(text, out var parsed))
        {
            date = parsed;
            return true;
        }

        error = new RequestError(StatusCodes.Status400BadRequest, "invalid-date", "Invalid date.", $"{field}: '{text}' is not a date (yyyy-MM-dd).", field);
        return false;
    }

    /// <summary>
    /// A day of enrolment or payment must fall in some policy's years (the first collection start to the
    /// last coverage end or repayment deadline): 0001-01-01 or 2099-01-01 is a mistyped date, better told
    /// as <c>invalid-date</c> than as an ID number born "after" it or every roster row rejected.
    /// </summary>
    public static bool TryInPolicyYears(DateOnly? date, string field, PolicyCatalog catalog, [NotNullWhen(false)] out RequestError? error)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        error = null;
        if (date is not { } day || catalog.Policies.Count == 0)
        {
            return true;
        }

        var first = catalog.Policies.Min(p => p.CollectionStart);
        var last = catalog.Policies.Max(p => p.RepaymentDeadline is { } deadline && deadline > p.CoverageEnd ? deadline : p.CoverageEnd);
        if (day >= first && day <= last)
        {
            return true;
        }

        error = new RequestError(StatusCodes.Status400BadRequest, "invalid-date", "Invalid date.",
            $"{field}: {IsoDate.Text(day)} is outside every policy ({IsoDate.Text(first)} to {IsoDate.Text(last)}).", field)
        {
            Extensions = new Dictionary<string, object?> { ["detailZh"] = $"{field} 日期 {IsoDate.Text(day)} 不在任何政策年度内（{IsoDate.Text(first)} 至 {IsoDate.Text(last)}），请检查日期" },
        };
        return false;
    }

    public static bool TryCode<T>(CodeBook<T> book, string? text, string field, string code, out T? value, [NotNullWhen(false)] out RequestError? error)
        where T : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(book);
        value = null;
        error = null;
        if (text is null)
        {
            return true;
        }

        if (book.TryParse(text, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = new RequestError(StatusCodes.Status400BadRequest, code, $"Unknown {book.Name}.", $"'{text}' is not a {book.Name} code or label ({string.Join(", ", book.Codes)}).", field);
        return false;
    }
}

/// <summary>Reads a JSON request body strictly (unknown members refused) into a coded 400 when it does not fit.</summary>
public static class JsonRequests
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    public static async Task<(T? Body, RequestError? Error)> ReadAsync<T>(HttpRequest http, string what, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            var body = await System.Text.Json.JsonSerializer.DeserializeAsync<T>(http.Body, Options, cancellationToken).ConfigureAwait(false);
            return body is null
                ? (null, Malformed(what, "The body must be a JSON object.", null))
                : (body, null);
        }
        catch (System.Text.Json.JsonException e)
        {
            return (null, Malformed(what, Hosting.HttpErrors.DescribeJson(e), e.Path?.TrimStart('$', '.')));
        }
    }

    private static RequestError Malformed(string what, string detail, string? field) =>
        new(StatusCodes.Status400BadRequest, "malformed-request", $"The body is not a valid {what}.", detail, string.IsNullOrEmpty(field) ? null : field);
}
