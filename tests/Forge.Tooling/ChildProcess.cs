using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Forge.Tooling;

/// <summary>
/// A program running as a child process: its standard output and error captured as text while it runs, its standard
/// input fed from <see cref="ChildProcessCommand.StandardInput"/> and closed. <see cref="RunAsync"/> runs one to its end;
/// <see cref="Start"/> leaves one running (a server, a host, a cleanup to kill). Disposing one that still runs kills it and its children.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    // A server that runs for hours keeps only the end of what it wrote; no test or report reads more than that.
    private const int KeptCharacters = 1 << 20;

    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StringBuilder errors = new();
    private readonly Task pipes;
    private readonly int keptCharacters;

    private ChildProcess(ChildProcessCommand command, Process process, int keptCharacters)
    {
        Command = command;
        this.process = process;
        this.keptCharacters = keptCharacters;
        pipes = Task.WhenAll(
            CaptureAsync(process.StandardOutput, output),
            CaptureAsync(process.StandardError, errors),
            FeedAsync(process.StandardInput, command.StandardInput));
    }

    public ChildProcessCommand Command { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Its exit code, once it has exited.</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>What it wrote to standard output so far; of a process left running (<see cref="Start"/>), the last megabyte or two.</summary>
    public string Output => Text(output);

    /// <summary>What it wrote to standard error so far (the logs of Forge's host); of a long run, the last megabyte or two.</summary>
    public string Errors => Text(errors);

    public static ChildProcess Start(ChildProcessCommand command) => StartKeeping(command, KeptCharacters);

    private static ChildProcess StartKeeping(ChildProcessCommand command, int keptCharacters)
        => new(command, Process.Start(command.StartInfo()) ?? throw new InvalidOperationException($"Could not start {command}."), keptCharacters);

    /// <summary>
    /// Runs <paramref name="command"/> to its end. Past <paramref name="timeout"/> (none when null) it is killed with its
    /// children and <see cref="TimeoutException"/> is thrown; when <paramref name="cancellation"/> fires, it is killed too.
    /// </summary>
    public static async Task<ChildProcessResult> RunAsync(ChildProcessCommand command, TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        // A command run to its end keeps all it wrote: a report on standard output (the cleanup's JSON at a million
        // versions is tens of megabytes) must reach the caller whole.
        using var child = StartKeeping(command, int.MaxValue / 2);
        if (!await child.WaitForExitAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellation))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{command} did not exit within {timeout.GetValueOrDefault().TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; standard error: {child.Errors}");
        }

        return new ChildProcessResult(child.ExitCode, child.Output, child.Errors, clock.Elapsed);
    }

    /// <summary>Waits until it has exited and everything it wrote has been read.</summary>
    public async Task WaitForExitAsync(CancellationToken cancellation = default)
    {
        await process.WaitForExitAsync(cancellation);
        // Exited is not finished: its last words may still be in the pipes.
        await pipes.WaitAsync(cancellation);
    }

    /// <summary>Waits as <see cref="WaitForExitAsync(CancellationToken)"/> does; false, with the process still running, when <paramref name="deadline"/> passes first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan deadline, CancellationToken cancellation = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(deadline);
        try
        {
            await WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Waits until its standard error holds <paramref name="text"/>; false when it exits or <paramref name="deadline"/> passes first.</summary>
    public async Task<bool> WaitUntilErrorsContainAsync(string text, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (!Errors.Contains(text, StringComparison.Ordinal) && !process.HasExited && clock.Elapsed < deadline)
        {
            await Task.Delay(50);
        }

        if (process.HasExited)
        {
            // It may have said it just before it went.
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }

        return Errors.Contains(text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Ends it at once with SIGKILL, as a crash or the kernel's OOM killer would (no shutdown code runs), with its children
    /// when <paramref name="entireProcessTree"/>; returns once it has gone.
    /// </summary>
    public void Kill(bool entireProcessTree = false)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree);
        }

        process.WaitForExit();
        pipes.Wait();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            // A test that failed half-way must not leave a server or a host running behind it.
            Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    private static string Text(StringBuilder captured)
    {
        lock (captured)
        {
            return captured.ToString();
        }
    }

    private async Task CaptureAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory())) > 0)
            {
                lock (into)
                {
                    into.Append(buffer, 0, read);
                    if (into.Length > 2 * keptCharacters)
                    {
                        into.Remove(0, into.Length - keptCharacters);
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while something it started still held the pipe open: what was read stays.
        }
    }

    private static async Task FeedAsync(StreamWriter input, string? text)
    {
        try
        {
            if (text is not null)
            {
                await input.WriteAsync(text);
            }

            input.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // It exited (a usage error, say) before reading its input: what it said is in its output.
        }
    }
}
