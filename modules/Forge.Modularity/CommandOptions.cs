using System.CommandLine;
using System.Globalization;

namespace Forge.Modularity;

/// <summary>Options that several modules' commands share, so that they parse and fail alike.</summary>
public static class CommandOptions
{
    /// <summary>A Go-style age option (<c>24h</c>, <c>90m</c>, <c>0s</c>, at most <see cref="GoDuration.MaximumAge"/>); a bad value is a one-line usage error.</summary>
    public static Option<string?> Duration(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (text is null)
            {
                return;
            }

            if (!GoDuration.TryParse(text, out var value, out var error))
            {
                result.AddError($"{name} '{text}' is not a duration: {error}");
            }
            else if (value > GoDuration.MaximumAge)
            {
                result.AddError($"{name} '{text}' is too long: at most {GoDuration.Format(GoDuration.MaximumAge)} (50 years)");
            }
        });
        return option;
    }

    /// <summary>An option taking a whole number from <paramref name="min"/> to <paramref name="max"/>, with a one-line error for anything else.</summary>
    public static Option<int?> WholeNumber(string name, int min, int max, string description)
    {
        var option = new Option<int?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            // Read the token here: asking for the value of one that is not a number throws.
            if (result.Tokens is not [var token])
            {
                return;
            }

            if (!long.TryParse(token.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{name} '{token.Value}' is not a whole number: use {min} to {max}");
            }
            else if (value < min || value > max)
            {
                result.AddError($"{name} {value} is out of range: use {min} to {max}");
            }
        });
        return option;
    }

    /// <summary><c>--json</c>: the command prints one JSON document on standard output and nothing else there.</summary>
    public static Option<bool> Json()
        => new("--json") { Description = "Print the report as one JSON object on standard output." };
}
