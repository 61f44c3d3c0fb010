namespace Forge.Host.Hosting;

/// <summary>
/// An exception told in one line, for error output, log lines and run summaries: the command line, the
/// scheduler and the health endpoint all report failures this way.
/// </summary>
public static class ExceptionMessage
{
    /// <summary>An exception as one line: its message and those of its causes.</summary>
    public static string OneLine(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message += ": " + inner.Message;
            }
        }

        return message.ReplaceLineEndings(" ");
    }
}
