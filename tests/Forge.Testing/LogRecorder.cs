using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Forge.Testing;

/// <summary>Keeps every log entry of a host in memory: its message, the values of its scopes and its exception.</summary>
public sealed class LogRecorder : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> entries = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    /// <summary>Everything logged so far, one entry a line.</summary>
    public string Text => string.Join('\n', entries);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogRecorder recorder, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
            => recorder.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopeText = new List<string>();
            recorder.scopes.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? string.Empty), scopeText);
            // The state's values too: a value that the message template leaves out is still logged.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            recorder.entries.Enqueue($"{logLevel} {category} {string.Join(" => ", scopeText)} {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
