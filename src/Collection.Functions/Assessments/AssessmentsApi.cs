using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Policies;
using Collection.Runtime.Functions;
using Collection.Runtime.Http;

namespace Collection.Functions.Assessments;

/// <summary><c>POST /api/assessments</c> (staff, admin): what a person owes under a policy on a day.</summary>
public sealed class AssessmentsApi : IHttpFunction
{
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    private static readonly JsonSerializerOptions RequestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/assessments", AssessAsync)
            .RequireRoles(FunctionRoles.Staff)
            .WithTags("Assessments")
            .WithName("Assess")
            .WithSummary("Assess a person under a policy: contribution, subsidy, coverage, or why they cannot enrol.")
            .Accepts<AssessmentRequestBody>("application/json")
            .Produces<AssessmentResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    /// <summary>Today's calendar date in China (UTC+8, no daylight saving).</summary>
    public static DateOnly TodayInChina(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateOnly.FromDateTime(time.GetUtcNow().ToOffset(ChinaOffset).DateTime);
    }

    internal static async Task<IResult> AssessAsync(HttpRequest http, PolicyCatalog catalog, TimeProvider time, CancellationToken cancellationToken)
    {
        AssessmentRequestBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<AssessmentRequestBody>(http.Body, RequestJson, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Bad("malformed-request", "The body is not a valid assessment request.", e.Message, e.Path?.TrimStart('$', '.'));
        }

        return body is null
            ? Bad("malformed-request", "The body is not a valid assessment request.", "The body must be a JSON object.", null)
            : Assess(body, catalog, TodayInChina(time));
    }

    internal static IResult Assess(AssessmentRequestBody body, PolicyCatalog catalog, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(body.Policy) || !catalog.TryGet(body.Policy, out var policy))
        {
            return Problems.UnknownPolicy(body.Policy, StatusCodes.Status400BadRequest);
        }

        if (!TryDate(body.Date, "date", out var date, out var problem))
        {
            return problem;
        }

        var day = date ?? today;
        ResidentId? id = null;
        if (!string.IsNullOrWhiteSpace(body.IdNumber))
        {
            if (!ResidentId.TryParse(body.IdNumber, day, out var parsed, out var error))
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.",
                    $"idNumber: {ResidentId.Describe(error)} ({ResidentId.ReasonCode(error)}).", "idNumber");
            }

            id = parsed;
        }

        if (!TryDate(body.BirthDate, "birthDate", out var birthDate, out problem)
            || !TryCode(Glossary.Populations, body.Population, "population", "unknown-population", out var population, out problem)
            || !TryCode(Glossary.AllowanceClasses, body.AllowanceClass, "allowanceClass", "unknown-allowance-class", out var allowanceClass, out problem)
            || !TryCode(Glossary.UniversityPaymentModes, body.PaymentMode, "paymentMode", "unknown-payment-mode", out var paymentMode, out problem)
            || !TryDate(body.Newborn?.RegistrationDate, "newborn.registrationDate", out var registrationDate, out problem))
        {
            return problem;
        }

        var identities = SubsidyIdentitySet.Empty;
        for (var i = 0; i < (body.Identities?.Count ?? 0); i++)
        {
            if (!Glossary.SubsidyIdentities.TryParse(body.Identities![i], out var identity))
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-identity", "Unknown subsidy identity.",
                    $"'{body.Identities[i]}' is not a subsidy identity code or label ({string.Join(", ", Glossary.SubsidyIdentities.Codes)}).", $"identities[{i}]");
            }

            identities = identities.With(identity);
        }

        var request = new AssessmentRequest
        {
            Id = id,
            BirthDate = birthDate,
            Population = population ?? Population.Resident,
            Identities = identities,
            AllowanceClass = allowanceClass,
            LocalHukou = body.LocalHukou ?? true,
            ResidencePermit = body.ResidencePermit ?? false,
            InEmployeeInsurance = body.InEmployeeInsurance ?? false,
            Newborn = body.Newborn is { } newborn
                ? new NewbornFacts(newborn.RegisteredBeforeBirth, newborn.ParentInsured ?? false, registrationDate)
                : null,
            MigrantWorkerWithProof = body.MigrantWorkerWithProof ?? false,
            PaymentMode = paymentMode,
            Date = day,
        };

        var assessment = AssessmentEngine.Assess(policy, request, today);
        if (assessment.Failed)
        {
            var error = assessment.Error;
            return error.IsMissingFact()
                ? Problems.Problem(StatusCodes.Status422UnprocessableEntity, error.Code(), "A fact the policy needs is missing.",
                    $"Policy {policy.Code} needs '{error.Field()}' to assess this person.", error.Field())
                : Problems.Problem(StatusCodes.Status400BadRequest, error.Code(), "The request contradicts itself.",
                    error == AssessmentError.BirthDateMismatch
                        ? "birthDate differs from the birth date in idNumber."
                        : "The birth date is after the assessment day (only a newborn registered before birth may be).", error.Field());
        }

        return TypedResults.Ok(new AssessmentResponse(
            policy.Code,
            assessment.Eligible,
            assessment.Reasons.Codes(),
            assessment.StandardContribution,
            assessment.Subsidy,
            Glossary.SubsidyModes.Code(assessment.SubsidyMode),
            assessment.SubsidyIdentity is { } applied ? Glossary.SubsidyIdentities.Code(applied) : null,
            assessment.Payable,
            assessment.Rebate,
            assessment.NetCost,
            assessment.CoverageStart is { } start ? Problems.Date(start) : null,
            assessment.CoverageEnd is { } end ? Problems.Date(end) : null));
    }

    private static IResult Bad(string code, string title, string detail, string? field) =>
        Problems.Problem(StatusCodes.Status400BadRequest, code, title, detail, string.IsNullOrEmpty(field) ? null : field);

    private static bool TryDate(string? text, string field, out DateOnly? date, out IResult problem)
    {
        date = null;
        problem = Results.Empty;
        if (text is null)
        {
            return true;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            date = parsed;
            return true;
        }

        problem = Bad("invalid-date", "Invalid date.", $"{field}: '{text}' is not a date (yyyy-MM-dd).", field);
        return false;
    }

    private static bool TryCode<T>(CodeBook<T> book, string? text, string field, string code, out T? value, out IResult problem)
        where T : struct, Enum
    {
        value = null;
        problem = Results.Empty;
        if (text is null)
        {
            return true;
        }

        if (book.TryParse(text, out var parsed))
        {
            value = parsed;
            return true;
        }

        problem = Bad(code, $"Unknown {book.Name}.", $"'{text}' is not a {book.Name} code or label ({string.Join(", ", book.Codes)}).", field);
        return false;
    }
}

public static class AssessmentServices
{
    /// <summary>The policy catalog (checked at start-up) and what the assessment API needs.</summary>
    public static IServiceCollection AddAssessments(this IServiceCollection services) => services.AddPolicies();
}
