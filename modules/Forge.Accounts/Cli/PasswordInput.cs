using System.Text;
using Forge.Modularity;

namespace Forge.Accounts.Cli;

/// <summary>
/// Reads a new password: the first line of standard input when it is redirected (a pipe or a file), else
/// from the terminal without echo after a <c>Password: </c> prompt on standard error.
/// </summary>
internal static class PasswordInput
{
    // Enough to tell a too long password from the longest one allowed (and its CR); the rest is not read.
    private const int ReadLimit = PasswordRules.MaximumLength + 2;

    /// <summary>The password, checked against <see cref="PasswordRules"/>; a <see cref="CommandUsageException"/> when there is none or it is refused.</summary>
    public static async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        var password = Console.IsInputRedirected
            ? FirstLine(Console.OpenStandardInput())
            : await PromptAsync(cancellationToken);
        if (password is null)
        {
            throw new CommandUsageException("no password given: it is the first line of standard input, or typed at the prompt when the command runs on a terminal");
        }

        return PasswordRules.Problem(password) is { } problem ? throw new CommandUsageException(problem) : password;
    }

    /// <summary>The first line of <paramref name="input"/> without its CR/LF, at most <see cref="ReadLimit"/> characters of it; null when the input is empty.</summary>
    internal static string? FirstLine(Stream input)
    {
        using var reader = new StreamReader(input, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var line = new StringBuilder();
        var newline = false;
        try
        {
            int next;
            while (line.Length < ReadLimit && (next = reader.Read()) != -1)
            {
                if (next == '\n')
                {
                    newline = true;
                    break;
                }

                line.Append((char)next);
            }
        }
        catch (DecoderFallbackException)
        {
            throw new CommandUsageException("the password on standard input is not UTF-8 text");
        }

        return line.Length == 0 && !newline ? null : line.ToString().TrimEnd('\r');
    }

    private static async Task<string?> PromptAsync(CancellationToken cancellationToken)
    {
        await Console.Error.WriteAsync("Password: ");
        var typed = new StringBuilder();
        while (true)
        {
            // Polled rather than blocked on, so that Ctrl-C (which stops the command through the token) ends the prompt.
            while (!Console.KeyAvailable)
            {
                await Task.Delay(20, cancellationToken);
            }

            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (key.KeyChar == '\u0004' && typed.Length == 0)
            {
                // Ctrl-D on an empty line: end of input, as on a pipe.
                await Console.Error.WriteLineAsync();
                return null;
            }
            else if (key.KeyChar != '\0' && typed.Length < ReadLimit)
            {
                typed.Append(key.KeyChar);
            }
        }

        await Console.Error.WriteLineAsync();
        return typed.ToString();
    }
}
