namespace Forge.Packages.ExpiredData;

/// <summary>What one step removed (in a dry run: would remove); serialized under the step's report key.</summary>
public abstract record ExpiredDataStepReport
{
    /// <summary>The step's line in <c>packages cleanup</c>'s output, e.g. <c>empty packages: removed 3</c>.</summary>
    /// <param name="verb"><c>removed</c>, or <c>would remove</c> in a dry run.</param>
    /// <param name="dryRun">Whether the run was a dry run.</param>
    public abstract string Line(string verb, bool dryRun);

    /// <summary>The step's part of the run's one-line summary, e.g. <c>3 empty package(s)</c>.</summary>
    public abstract string SummaryPart();

    /// <summary>What an operator must look at, added to the summary; null when all went well.</summary>
    public virtual string? Warning() => null;
}
