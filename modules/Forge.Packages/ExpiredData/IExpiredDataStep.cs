namespace Forge.Packages.ExpiredData;

/// <summary>
/// One step of the expired-data cleanup (<c>cleanup_packages</c>). The Packages module's own steps remove
/// empty packages and orphaned blobs; a module that keeps data of its own in the shared tables (the
/// container module's upload sessions and uploaded blobs) registers steps that remove what of it has
/// expired, so that what they free is found by the steps after them in the same run.
/// </summary>
/// <remarks>Register a step as a singleton <see cref="IExpiredDataStep"/>; steps run in ascending <see cref="Order"/>.</remarks>
public interface IExpiredDataStep
{
    /// <summary>The step's span name and log name, e.g. <c>expired_uploads</c>.</summary>
    string Name { get; }

    /// <summary>The step's key in the JSON report, e.g. <c>expiredUploads</c>.</summary>
    string ReportKey { get; }

    /// <summary>
    /// Where the step runs: a module's steps that delete versions or files come before
    /// <see cref="EmptyPackagesStep.StepOrder"/>, so that the packages and blobs they leave unused go tonight.
    /// </summary>
    int Order { get; }

    /// <summary>What the step removes, in SQL, so that a dry run of the steps after it counts it as gone.</summary>
    ExpiredDataForecast Forecast { get; }

    /// <summary>The step's report of a run that did nothing (skipped): every count zero.</summary>
    ExpiredDataStepReport NothingDone { get; }

    /// <summary>Removes (in a dry run: counts) what has expired, in bounded transactions on the run's connection.</summary>
    Task<ExpiredDataStepReport> RunAsync(ExpiredDataRun run);
}
