using System.Globalization;

namespace Forge.Host.Tests.Support;

/// <summary>
/// How many rounds of kills and faults the reliability tests go through: <c>FORGE_SOAK_ROUNDS</c>, 1 when
/// unset (the short version the test suite runs); a soak script sets more.
/// </summary>
public static class SoakRounds
{
    public const string Variable = "FORGE_SOAK_ROUNDS";

    public static int Count { get; } = Read(Environment.GetEnvironmentVariable(Variable));

    private static int Read(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return 1;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) && rounds >= 1
            ? rounds
            : throw new InvalidOperationException($"{Variable} is '{text}': it must be a whole number of at least 1.");
    }
}
