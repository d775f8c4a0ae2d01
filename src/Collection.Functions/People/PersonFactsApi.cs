using Collection.Domain.Codes;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.People;

/// <summary>The body of <c>POST /api/people/{idNumber}/insurance-facts</c>.</summary>
public sealed record InsuranceFactRequestBody
{
    /// <summary><c>insured-elsewhere</c>, <c>employee-insurance</c>, <c>commitment</c> (or the Chinese labels).</summary>
    public string? Kind { get; init; }

    /// <summary>The coverage year the fact is about (insured elsewhere, commitment); not for employee insurance.</summary>
    public int? CoverageYear { get; init; }

    /// <summary>Where the person is insured (insured elsewhere), e.g. 合肥市蜀山区.</summary>
    public string? Place { get; init; }

    /// <summary><c>yyyy-MM-dd</c>: since when (employee insurance) or the day of the commitment; default today.</summary>
    public string? Since { get; init; }

    public string? Note { get; init; }
}

public sealed record InsuranceFactBody(string Kind, string KindLabel, int? CoverageYear, string? Place, string Since, string? Note, string Actor, DateTimeOffset RecordedAt)
{
    public static InsuranceFactBody Of(PersonFactEntity fact)
    {
        ArgumentNullException.ThrowIfNull(fact);
        var label = Glossary.InsuranceFacts.TryParse(fact.Kind, out var kind) ? Glossary.InsuranceFacts.Label(kind) : fact.Kind;
        return new InsuranceFactBody(fact.Kind, label, fact.CoverageYear, fact.Place, fact.Since, fact.Note, fact.Actor, fact.RecordedAt);
    }
}

/// <summary>A person's insurance as staff see it: recorded facts, the employee-insurance mark, enrolments under every policy.</summary>
public sealed record PersonInsuranceBody(string IdNumber, bool InEmployeeInsurance, IReadOnlyList<InsuranceFactBody> Facts, IReadOnlyList<OtherEnrolment> Enrolments);

/// <summary>
/// <c>POST /api/people/{idNumber}/insurance-facts</c> (staff, admin): record that a person is insured elsewhere for a
/// coverage year, is in employee insurance (the ledger's mark: enrolment under any policy is then refused), or
/// signed the commitment (承诺) dalate-2022 一 asks of non-local people. <c>GET</c> shows them with the person's
/// enrolments under every policy.
/// </summary>
public sealed class PersonFactsApi(PersonFacts facts, EnrolmentLedger ledger, ChinaClock clock)
{
    [Function("RecordInsuranceFact")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Record(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/{idNumber}/insurance-facts")] HttpRequest request, string idNumber, CancellationToken cancellationToken) =>
        RecordAsync(request, idNumber, cancellationToken);

    [Function("GetInsuranceFacts")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/{idNumber}/insurance-facts")] HttpRequest request, string idNumber, CancellationToken cancellationToken) =>
        GetAsync(idNumber, cancellationToken);

    private async Task<IResult> RecordAsync(HttpRequest http, string idNumber, CancellationToken cancellationToken)
    {
        if (!AssessmentRequestParser.TryIdNumber(idNumber, null, out var id, out var error))
        {
            return error.ToResult();
        }

        var (body, bodyError) = await JsonRequests.ReadAsync<InsuranceFactRequestBody>(http, "insurance fact", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return bodyError!.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.Kind))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-field", "A fact needs its kind.",
                $"kind: one of {string.Join(", ", Glossary.InsuranceFacts.Codes)}.", "kind");
        }

        if (!AssessmentRequestParser.TryCode(Glossary.InsuranceFacts, body.Kind, "kind", "unknown-insurance-fact", out var kind, out error)
            || !AssessmentRequestParser.TryDate(body.Since, "since", out var since, out error))
        {
            return error.ToResult();
        }

        var needsYear = kind != InsuranceFact.EmployeeInsurance;
        if (needsYear && body.CoverageYear is not (>= 2000 and <= 2100))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-coverage-year", "The fact needs its coverage year.",
                $"coverageYear: the year (2000–2100) the person is insured elsewhere or commits for; was {(body.CoverageYear?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent")}.", "coverageYear");
        }

        if (TextLimits.First(TextLimits.Check("place", body.Place, TextLimits.Town), TextLimits.Check("note", body.Note, TextLimits.Note, multiLine: true)) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var day = since ?? clock.Today;
        var actor = http.HttpContext.User.Actor();
        if (kind == InsuranceFact.EmployeeInsurance)
        {
            await ledger.MarkEmployeeInsuranceAsync(id, day, "staff", actor, cancellationToken).ConfigureAwait(false);
        }

        var fact = await facts.RecordAsync(id, kind!.Value, needsYear ? body.CoverageYear : null, Clean(body.Place), day, Clean(body.Note), actor, clock.Now, cancellationToken).ConfigureAwait(false);
        return TypedResults.Created($"/api/people/{id}/insurance-facts", InsuranceFactBody.Of(fact));
    }

    private async Task<IResult> GetAsync(string idNumber, CancellationToken cancellationToken)
    {
        if (!AssessmentRequestParser.TryIdNumber(idNumber, null, out var id, out var error))
        {
            return error.ToResult();
        }

        var recorded = await facts.ForPersonAsync(id, cancellationToken).ConfigureAwait(false);
        var enrolments = await facts.EnrolmentsAsync(id, cancellationToken).ConfigureAwait(false);
        var employee = await ledger.InEmployeeInsuranceAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PersonInsuranceBody(id.ToString(), employee, [.. recorded.Select(InsuranceFactBody.Of)], enrolments));
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
