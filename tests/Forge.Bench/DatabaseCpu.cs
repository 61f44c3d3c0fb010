using System.Globalization;
using Npgsql;

namespace Forge.Bench;

/// <summary>
/// The CPU time a PostgreSQL server on this machine has used: its postmaster, the processes it runs now (backends,
/// checkpointer, WAL writer, autovacuum) and those that have ended (which the postmaster has reaped, so the kernel
/// adds them to its children's time). The difference of two readings is what the server spent in between, whichever
/// backends came and went. Read from <c>/proc</c>; null when the server is not a process of this machine that
/// <c>/proc</c> shows.
/// </summary>
public sealed class DatabaseCpu
{
    // USER_HZ, which /proc reports in, is 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100.0;

    private readonly int postmaster;

    private DatabaseCpu(int postmaster) => this.postmaster = postmaster;

    /// <summary>The server that <paramref name="connectionString"/> reaches, found as the parent of the backend that serves the connection.</summary>
    public static async Task<DatabaseCpu?> FindAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync())!;
        return Read(backend) is { } stat && Read(stat.Parent) is not null ? new DatabaseCpu(stat.Parent) : null;
    }

    /// <summary>Seconds of CPU, user and system, the server has used since it started.</summary>
    public double Seconds()
    {
        var own = Read(postmaster) ?? throw new BenchException($"the PostgreSQL server (process {postmaster}) is gone");
        var ticks = own.Ticks + own.ReapedChildrenTicks;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Read(pid) is { } child && child.Parent == postmaster)
            {
                ticks += child.Ticks;
            }
        }

        return ticks / ClockTicksPerSecond;
    }

    /// <summary>Fields of <c>/proc/&lt;pid&gt;/stat</c>: the parent (4), utime + stime (14, 15), cutime + cstime (16, 17); null for a process that is gone or hidden.</summary>
    private static (int Parent, long Ticks, long ReapedChildrenTicks)? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The fields after the command's closing parenthesis start at the state (field 3).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }
}
