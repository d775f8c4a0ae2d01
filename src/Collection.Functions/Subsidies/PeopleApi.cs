using Collection.Domain.Codes;
using Collection.Domain.Subsidies;
using Collection.Functions.Assessments;
using Collection.Functions.Policies;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Subsidies;

/// <summary><c>GET /api/people/{idNumber}/identities</c> (staff, admin): a person's subsidy identities and their history, across policies.</summary>
public sealed class PeopleApi(SubsidyIdentityBook book)
{
    /// <summary>A person's subsidy identities (spells, current and ended) and the list rows that made them, under every policy.</summary>
    [Function("GetPersonIdentities")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/{idNumber}/identities")] HttpRequest request, string idNumber, CancellationToken cancellationToken) =>
        GetIdentitiesAsync(idNumber, book, cancellationToken);

    internal static async Task<IResult> GetIdentitiesAsync(string idNumber, SubsidyIdentityBook book, CancellationToken cancellationToken)
    {
        if (!AssessmentRequestParser.TryIdNumber(idNumber, null, out var id, out var error))
        {
            return error.ToResult();
        }

        var person = await book.PersonAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PersonIdentitiesBody(id.ToString(), [.. person.Spells.Select(IdentitySpellBody.Of)], [.. person.Changes.Select(IdentityChangeBody.From)]));
    }
}

public sealed record PersonIdentitiesBody(string IdNumber, IReadOnlyList<IdentitySpellBody> Identities, IReadOnlyList<IdentityChangeBody> History);

/// <summary>One spell as the API shows it: codes with their Chinese labels, dates yyyy-MM-dd, <c>to</c> null while open.</summary>
public sealed record IdentitySpellBody(
    string Policy,
    string Identity,
    string IdentityLabel,
    string Department,
    string DepartmentLabel,
    string Name,
    string From,
    string? To,
    string? Town,
    string? AllowanceClass,
    string Source)
{
    public static IdentitySpellBody Of(IdentitySpell spell)
    {
        ArgumentNullException.ThrowIfNull(spell);
        return new IdentitySpellBody(spell.Policy, Glossary.SubsidyIdentities.Code(spell.Identity), Glossary.SubsidyIdentities.Label(spell.Identity),
            spell.Department, LabelOf(spell.Department), spell.Name, IsoDate.Text(spell.From), spell.To is { } to ? IsoDate.Text(to) : null,
            spell.Town.Length == 0 ? null : spell.Town, spell.AllowanceCategory, spell.Source);
    }

    internal static string LabelOf(string code) => Glossary.Departments.TryParse(code, out var department) ? Glossary.Departments.Label(department) : code;
}

/// <summary>One list row that changed the person's identities: <c>change</c> is <c>add</c> (新增) or <c>remove</c> (减少).</summary>
public sealed record IdentityChangeBody(
    string Policy,
    string Date,
    string Change,
    string Identity,
    string Department,
    string Name,
    string? Town,
    string? AllowanceClass,
    string Source)
{
    public static IdentityChangeBody From(IdentityChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new IdentityChangeBody(change.Policy, IsoDate.Text(change.Date), change.Change == ListChange.Add ? "add" : "remove",
            Glossary.SubsidyIdentities.Code(change.Identity), change.Department, change.Name, change.Town, change.AllowanceCategory, change.Source);
    }
}
