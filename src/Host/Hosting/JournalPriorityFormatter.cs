using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;

namespace RouterHost.Hosting;

/// <summary>
/// Prefixes every line an inner formatter writes with its event's syslog priority, <c>&lt;N&gt;</c> as
/// sd-daemon.h's <c>SD_ERR</c> etc. spell it, so journald stores each line of standard error with the level it was
/// logged at (journald strips the prefix; <c>journalctl -p warning</c> then finds warnings). Every line of a multi-line
/// event (an exception's stack) carries the prefix, else journald would give the continuation lines its default level.
/// </summary>
internal sealed class JournalPriorityFormatter(ITextFormatter inner) : ITextFormatter
{
    /// <summary>The syslog priority of a Serilog level: Fatal → 2 (crit), Error → 3 (err), Warning → 4, Information → 6 (info), Debug and Verbose → 7 (debug).</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,
        LogEventLevel.Error => 3,
        LogEventLevel.Warning => 4,
        LogEventLevel.Information => 6,
        _ => 7,
    };

    /// <inheritdoc/>
    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new StringWriter(CultureInfo.InvariantCulture);
        inner.Format(logEvent, buffer);
        string text = buffer.ToString();
        string prefix = string.Create(CultureInfo.InvariantCulture, $"<{Priority(logEvent.Level)}>");
        int start = 0;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            int next = end < 0 ? text.Length : end + 1;
            ReadOnlySpan<char> line = text.AsSpan(start, (end < 0 ? text.Length : end) - start).TrimEnd('\r');
            output.Write(prefix);
            output.Write(line);
            output.Write('\n');
            start = next;
        }
    }
}
