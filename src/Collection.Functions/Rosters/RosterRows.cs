using Collection.Domain.Rosters;
using Collection.Functions.Files;
using Collection.Functions.Policies;

namespace Collection.Functions.Rosters;

/// <summary>Turns a row of an uploaded roster into the facts the domain checks.</summary>
public static class RosterRows
{
    public static FileLayout LayoutOf(RosterKind kind) => kind == RosterKind.University ? FileLayout.UniversityRoster : FileLayout.SchoolRoster;

    /// <summary>The facts of <paramref name="row"/>, or a rejection for a cell that is already broken (an ID number Excel turned into a number).</summary>
    public static RosterRowFacts Facts(TabularRow row, out RosterRejection? cellProblem)
    {
        ArgumentNullException.ThrowIfNull(row);
        cellProblem = row.IdNumberProblem() is { } problem ? new RosterRejection(RosterReasons.InvalidIdNumber, problem.Message) : null;
        var facts = new RosterRowFacts
        {
            LineNumber = row.LineNumber,
            Name = row.Text(FileFields.Name),
            IdNumber = row.IdNumber(),
            IdType = row.Text(FileFields.IdType),
            Nationality = row.Text(FileFields.Nationality),
            Gender = row.Text(FileFields.Gender),
            BirthDate = row.Text(FileFields.BirthDate),
            StudentNumber = row.Text(FileFields.StudentNumber),
            Grade = row.Text(FileFields.Grade),
            ClassName = row.Text(FileFields.ClassName),
            Identities = row.Text(FileFields.SubsidyIdentity),
            AllowanceClass = row.Text(FileFields.AllowanceClass),
            PaymentMode = row.Text(FileFields.PaymentMethod),
            NewStudent = row.Text(FileFields.IsNewStudent),
            Faculty = row.Text(FileFields.Faculty),
        };

        // The limits of the API hold for files too: a row whose text could not be stored is rejected on its own.
        cellProblem ??= TextProblem("姓名", facts.Name, TextLimits.Name)
            ?? TextProblem("学号", facts.StudentNumber, TextLimits.Cell)
            ?? TextProblem("年级", facts.Grade, TextLimits.Cell)
            ?? TextProblem("班级", facts.ClassName, TextLimits.Cell)
            ?? TextProblem("院系", facts.Faculty, TextLimits.Cell);
        return facts;
    }

    private static RosterRejection? TextProblem(string column, string text, int limit) =>
        TextLimits.Check(column, text, limit) is { } error ? new RosterRejection(error.Code, (string)error.Extensions!["detailZh"]!) : null;

    /// <summary>The 学校名称 cell when the file has that column.</summary>
    public static string? SchoolName(TabularRow row) => row.Has(FileFields.SchoolName) ? NullIfEmpty(row.Text(FileFields.SchoolName)) : null;

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
