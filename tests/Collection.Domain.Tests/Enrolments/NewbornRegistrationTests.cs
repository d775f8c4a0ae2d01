using Collection.Domain.Enrolments;

namespace Collection.Domain.Tests.Enrolments;

public class NewbornRegistrationTests
{
    private static readonly ResidentId Parent = ResidentId.Parse("150302199003010" + "01" + ResidentId.ComputeCheckCharacter("15030219900301001"));
    private static readonly DateOnly Expected = new(2022, 6, 15);
    private static readonly DateOnly Registered = new(2022, 5, 20);

    [Fact]
    public void Reference_IsStableReadsBackAndIsNoIdNumber()
    {
        var reference = NewbornRegistration.Reference("wuhai-2022", Parent, Expected, 1);

        Assert.Equal(reference, NewbornRegistration.Reference("wuhai-2022", Parent, Expected, 1));
        Assert.NotEqual(reference, NewbornRegistration.Reference("wuhai-2022", Parent, Expected, 2)); // twins
        Assert.NotEqual(reference, NewbornRegistration.Reference("dalate-2022", Parent, Expected, 1));
        Assert.True(ResidentId.TryParse(reference.ToString().ToLowerInvariant(), out var read));
        Assert.Equal(reference, read);
        Assert.True(read.IsNewbornReference);
        Assert.False(read.IsForeign);
        Assert.False(read.EncodesBirthDate);
        Assert.Equal(reference.ToString(), reference.Masked);
        Assert.DoesNotContain(Parent.ToString()[..6], reference.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_WithOneCharacterChanged_IsRefusedByItsCheckCharacter()
    {
        var text = NewbornRegistration.Reference("wuhai-2022", Parent, Expected, 1).ToString();
        var typo = text[..5] + (text[5] == '0' ? '1' : '0') + text[6..];

        Assert.False(ResidentId.TryParse(typo, null, out _, out var error));
        Assert.Equal(ResidentIdError.WrongCheckDigit, error);
    }

    [Theory]
    [InlineData("2022-06-15", NewbornRegistrationError.None)]
    [InlineData("2022-05-21", NewbornRegistrationError.None)] // 112 days early would be 02-23; the registration bounds it first
    [InlineData("2022-07-13", NewbornRegistrationError.None)] // 28 days late
    [InlineData("2022-07-14", NewbornRegistrationError.OutsideExpectedWindow)]
    [InlineData("2022-05-20", NewbornRegistrationError.BornBeforeRegistration)]
    [InlineData("2022-05-01", NewbornRegistrationError.BornBeforeRegistration)]
    public void CheckBirth_WindowAroundTheExpectedDateAfterTheRegistration(string born, NewbornRegistrationError expected) =>
        Assert.Equal(expected, NewbornRegistration.CheckBirth(Expected, Registered, DateOnly.Parse(born, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void CheckBirth_TooEarly_IsOutsideTheWindow() =>
        Assert.Equal(NewbornRegistrationError.OutsideExpectedWindow, NewbornRegistration.CheckBirth(new(2022, 9, 1), new(2022, 1, 10), new(2022, 5, 11)));

    [Fact]
    public void CheckRegistration_TheChildMustBeUnbornAndExpectedWithinAPregnancy()
    {
        Assert.Equal(NewbornRegistrationError.None, NewbornRegistration.CheckRegistration(Registered, Expected));
        Assert.Equal(NewbornRegistrationError.AlreadyBorn, NewbornRegistration.CheckRegistration(Registered, Registered));
        Assert.Equal(NewbornRegistrationError.ExpectedTooFar, NewbornRegistration.CheckRegistration(Registered, Registered.AddDays(301)));
        Assert.Contains("2022-06-15", NewbornRegistration.Message(NewbornRegistrationError.OutsideExpectedWindow, Expected, Registered, new(2022, 9, 1)), StringComparison.Ordinal);
    }

    [Fact]
    public void AttachId_KeepsTermsMoneyAndHistory_MovesCoverToTheActualBirth()
    {
        var at = new DateTimeOffset(2022, 5, 20, 9, 0, 0, TimeSpan.FromHours(8));
        var reference = NewbornRegistration.Reference("bagongshan-2022", Parent, Expected, 1).ToString();
        var terms = new EnrolmentTerms(320m, 0m, 320m, 0m, Expected, new(2022, 12, 31));
        var registered = Enrolment.Register("bagongshan-2022", reference, "window", terms, Registered, at, "staff");
        var paid = Enrolment.Restore("bagongshan-2022", reference, "window", terms, Registered, Expected, EnrolmentStatus.Paid, null, new EnrolmentMoney(1, 320m, 0m, 0, 0m, 0m), 1, null, registered.Registration);

        var attached = paid.AttachId("340405202206120013", new(2022, 6, 12), new(2022, 7, 1), at.AddDays(42), "staff", "born 2022-06-12");

        Assert.Equal("340405202206120013", attached.IdNumber);
        Assert.Equal(new DateOnly(2022, 6, 12), attached.CoverageStart);
        Assert.Equal(320m, attached.Terms.Payable);
        Assert.Equal(320m, attached.Paid);
        Assert.Equal(Registered, attached.EnrolledOn);
        Assert.Equal(EnrolmentStatus.Active, attached.Status);
        Assert.Equal("id-attached", Assert.Single(attached.Changes).Cause);
    }
}
