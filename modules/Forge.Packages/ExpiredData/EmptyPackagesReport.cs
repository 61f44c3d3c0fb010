namespace Forge.Packages.ExpiredData;

/// <summary>What <see cref="EmptyPackagesStep"/> removed: packages without any version, with their package properties.</summary>
public sealed record EmptyPackagesReport : ExpiredDataStepReport
{
    public long Packages { get; init; }
    public long Properties { get; init; }

    public override string Line(string verb, bool dryRun) => $"empty packages: {verb} {Packages}";

    public override string SummaryPart() => $"{Packages} empty package(s)";
}
