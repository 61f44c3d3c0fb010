namespace Forge.Modularity;

/// <summary>The validated settings of every cron task; commands take their defaults from here.</summary>
public interface ICronTaskSettingsLookup
{
    CronTaskSettings SettingsOf(string taskName);
}
