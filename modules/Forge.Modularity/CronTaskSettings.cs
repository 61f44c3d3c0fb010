namespace Forge.Modularity;

/// <summary>The validated values of a task's own settings, as the host parsed them at start-up.</summary>
public sealed class CronTaskSettings
{
    private readonly IReadOnlyDictionary<string, object> values;

    public CronTaskSettings(IReadOnlyDictionary<string, object> values) => this.values = values;

    public static CronTaskSettings Empty { get; } = new(new Dictionary<string, object>());

    public IEnumerable<string> Keys => values.Keys;

    public TimeSpan GetDuration(string key) => Get<TimeSpan>(key);

    public int GetInt32(string key) => Get<int>(key);

    public bool GetBoolean(string key) => Get<bool>(key);

    public object GetValue(string key) => Get<object>(key);

    private T Get<T>(string key)
    {
        if (!values.TryGetValue(key, out var value))
        {
            throw new KeyNotFoundException($"The task declares no setting '{key}'.");
        }

        return (T)value;
    }
}
