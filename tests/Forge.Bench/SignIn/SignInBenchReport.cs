using System.Globalization;
using System.Text;

namespace Forge.Bench.SignIn;

/// <summary>The sign-in benchmark's table, or its JSON.</summary>
public static class SignInBenchReport
{
    public static string ToJson(SignInBenchResult result) => BenchJson.Serialize(result);

    public static string ToTable(SignInBenchResult result)
    {
        var o = result.Options;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Sign-in benchmark: GET /v2/ with Basic credentials against forge run; {o.Users} first logins and at least {o.Remembered} remembered sign-ins per phase; " +
            $"{o.Attackers} attackers sending wrong passwords as fast as answered ({o.Warmup.TotalSeconds:0} s alone first); {result.Processors} processors; " +
            $"load average {result.LoadBefore} before, {result.LoadAfter} after");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{"server",-12} {"first login ms",15} {"attacked",9} {"ratio",6} {"remembered ms",14} {"attacked",9} {"ratio",6} {"attack answers",15} {"refused",8} {"throttled",10} {"server CPU s",13}");
        foreach (var c in result.Contenders)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{c.Contender,-12} {c.Idle.FreshMedianMilliseconds,15:0} {c.Attack.FreshMedianMilliseconds,9:0} {c.FreshRatio,6:0.00} " +
                $"{c.Idle.RememberedMedianMilliseconds,14:0.0} {c.Attack.RememberedMedianMilliseconds,9:0.0} {c.RememberedRatio,6:0.00} " +
                $"{c.Attack.AttackAnswers,15:N0} {c.Attack.AttackRefused,8:N0} {c.Attack.AttackThrottled,10:N0} {c.Attack.ServerCpuSeconds,13:0.0}");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Medians; ratio = under attack / idle; attack answers and server CPU over the attacked phase ({result.LimiterOn.Attack.Seconds:0.0} s with the limiter on). Targets with the limiter on: " +
            $"first login within {SignInBenchResult.FreshTarget:0.0}x of idle: {Met(result.FreshTargetMet)}; remembered within {SignInBenchResult.RememberedTarget:0.0}x: {Met(result.RememberedTargetMet)}.");
        return text.ToString();
    }

    private static string Met(bool met) => met ? "met" : "NOT met";
}
