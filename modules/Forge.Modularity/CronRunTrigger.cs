namespace Forge.Modularity;

/// <summary>Why a run started.</summary>
public enum CronRunTrigger
{
    Schedule,
    Start,
    Manual,

    /// <summary>Run right after another task that asked for it (<see cref="CronTaskResult.FollowUps"/>).</summary>
    Chained,
}
