using Q4.Frontend;

namespace Q4.Tests.Browser;

/// <summary>
/// The front end's one rule for money: the API counts cents, people read and type euros. The pages' browser tests
/// show it end to end; these pin the edges of the formatter and the parser.
/// </summary>
public sealed class MoneyTests
{
    [Theory]
    [InlineData(0L, "€0")]
    [InlineData(5L, "€0.05")]
    [InlineData(12000L, "€120")]
    [InlineData(12050L, "€120.50")]
    [InlineData(12345L, "€123.45")]
    [InlineData(125000000L, "€1,250,000")]
    [InlineData(125000001L, "€1,250,000.01")]
    public void A_price_in_cents_is_written_in_euros(long cents, string expected) => Assert.Equal(expected, Format.Price(cents));

    [Theory]
    [InlineData(12000L, "120")]
    [InlineData(12050L, "120.50")]
    [InlineData(5L, "0.05")]
    public void A_form_field_gets_euros_that_read_back_as_the_same_cents(long cents, string expected)
    {
        Assert.Equal(expected, Format.Euros(cents));
        Assert.True(Money.TryParseEuros(expected, out var back, out _));
        Assert.Equal(cents, back);
    }

    [Theory]
    [InlineData("120", 12000L)]
    [InlineData(" 120 ", 12000L)]
    [InlineData("120.5", 12050L)]
    [InlineData("120.50", 12050L)]
    [InlineData("0.07", 7L)]
    [InlineData("0", 0L)]
    [InlineData("007", 700L)]
    public void Euros_typed_are_read_as_cents(string typed, long cents)
    {
        Assert.True(Money.TryParseEuros(typed, out var read, out var error), error);
        Assert.Equal(cents, read);
    }

    [Theory]
    [InlineData("120.505")]
    [InlineData("120.")]
    [InlineData(".5")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("1,250.00")]
    [InlineData("120,50")]
    [InlineData("1e3")]
    [InlineData("€120")]
    [InlineData("12 0")]
    [InlineData("99999999999999999999")]
    public void Anything_else_is_refused_in_words(string typed)
    {
        Assert.False(Money.TryParseEuros(typed, out _, out var error));
        Assert.Equal(Money.Expected, error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Nothing_typed_is_asked_for(string? typed)
    {
        Assert.False(Money.TryParseEuros(typed, out _, out var error));
        Assert.Equal("Enter an amount.", error);
    }
}
