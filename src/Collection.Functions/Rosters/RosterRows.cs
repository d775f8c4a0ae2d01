using Collection.Domain.Rosters;
using Collection.Functions.Files;

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
        return new RosterRowFacts
        {
            LineNumber = row.LineNumber,
            Name = row.Text(FileFields.Name),
            IdNumber = row.IdNumber(),
            Gender = row.Text(FileFields.Gender),
            BirthDate = row.Text(FileFields.BirthDate),
            StudentNumber = row.Text(FileFields.StudentNumber),
            Grade = row.Text(FileFields.Grade),
            ClassName = row.Text(FileFields.ClassName),
            Identities = row.Text(FileFields.SubsidyIdentity),
            AllowanceClass = row.Text(FileFields.AllowanceClass),
            PaymentMode = row.Text(FileFields.PaymentMethod),
        };
    }

    /// <summary>The 学校名称 cell when the file has that column.</summary>
    public static string? SchoolName(TabularRow row) => row.Has(FileFields.SchoolName) ? NullIfEmpty(row.Text(FileFields.SchoolName)) : null;

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
