using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;

namespace RouterHost.Cli;

/// <summary>
/// <c>routerhost show</c>: reads the running router over its control socket and prints it the way <c>wg show</c>
/// prints a WireGuard device: interfaces with traffic and drops, stages with their counts, and each stage's own
/// status (a tunnel's peers with endpoints, latest handshakes and transfer).
/// </summary>
internal static class ShowCommand
{
    private static readonly Option<string?> SocketOption = new("--socket")
    {
        Description = "The control socket (default: Control:Socket from the configuration, else " + RouterOptionsReader.DefaultControlSocket + ")",
    };

    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the status document as JSON." };

    public static Command Create()
    {
        var command = new Command("show", "Show the running router: interfaces, stages, tunnel peers (read over its control socket).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Options.Add(SocketOption);
        command.Options.Add(JsonOption);
        command.SetAction(parseResult => Run(parseResult, Console.Out, Console.Error));
        return command;
    }

    public static int Run(ParseResult parseResult, TextWriter output, TextWriter error)
    {
        if (!TryAsk(parseResult, SocketOption, "show", error, out byte[] answer))
        {
            return 1;
        }

        if (parseResult.GetValue(JsonOption))
        {
            output.WriteLine(Encoding.UTF8.GetString(answer));
            return 0;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(answer);
            Render(document.RootElement, output);
            return 0;
        }
        catch (JsonException ex)
        {
            error.WriteLine($"error: the router answered something that is not a status document: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> to the running router's control socket (the <paramref name="socketOption"/> given,
    /// else the configuration's <c>Control:Socket</c>) and reads the whole answer; false, with the reason written to
    /// <paramref name="error"/>, when there is no socket to ask or no router answers on it.
    /// </summary>
    internal static bool TryAsk(ParseResult parseResult, Option<string?> socketOption, string request, TextWriter error, out byte[] answer)
    {
        answer = [];
        string? path = parseResult.GetValue(socketOption);
        if (path is null)
        {
            IConfigurationRoot? configuration = CliConfiguration.Load(parseResult, error);
            if (configuration is null)
            {
                return false;
            }

            path = RouterOptionsReader.ReadControlSocket(configuration.GetSection(ConfigurationKeys.ControlSocket), null);
            if (path is null)
            {
                error.WriteLine("error: the configuration turns the control socket off (Control:Socket); nothing to read");
                return false;
            }
        }

        try
        {
            answer = Ask(path, request);
            return true;
        }
        catch (SocketException ex)
        {
            error.WriteLine($"error: cannot reach a running router at {path}: {ex.Message} ({ex.SocketErrorCode}). Is routerhost running, and are you root?");
            return false;
        }
    }

    internal static byte[] Ask(string path, string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = 10_000;
        socket.SendTimeout = 10_000;
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Send(Encoding.UTF8.GetBytes(command + "\n"));
        using var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            answer.Write(buffer, 0, n);
        }

        return answer.ToArray();
    }

    internal static void Render(JsonElement root, TextWriter output)
    {
        if (root.TryGetProperty("error", out JsonElement problem))
        {
            output.WriteLine($"error: {problem.GetString()}");
            return;
        }

        output.WriteLine($"router: pid {Number(root, "pid")}, up {Duration(root.GetProperty("uptime_seconds").GetDouble())}");
        foreach (JsonElement iface in root.GetProperty("interfaces").EnumerateArray())
        {
            output.WriteLine();
            output.WriteLine($"interface: {iface.GetProperty("name").GetString()} ({iface.GetProperty("backend").GetString()}, {Number(iface, "queues")} queue(s))");
            output.WriteLine($"  received: {Number(iface, "rx_packets")} packets, {Bytes(iface.GetProperty("rx_bytes").GetInt64())}{Drops(iface.GetProperty("rx_drops"))}");
            output.WriteLine(iface.GetProperty("backend").GetString() == "stage source"
                ? "  sent: by its stage (see the stage's status below)"
                : $"  sent: {Number(iface, "tx_packets")} packets, {Bytes(iface.GetProperty("tx_bytes").GetInt64())}{Drops(iface.GetProperty("tx_drops"))}");
            if (iface.TryGetProperty("status", out JsonElement backendStatus))
            {
                RenderObject(backendStatus, output, "  ");
            }
        }

        foreach (JsonElement stage in root.GetProperty("stages").EnumerateArray())
        {
            output.WriteLine();
            output.WriteLine($"stage: {stage.GetProperty("name").GetString()} ({stage.GetProperty("type").GetString()})");
            output.WriteLine($"  packets: {Number(stage, "in")} in, {Number(stage, "forwarded")} forwarded, {Number(stage, "consumed")} consumed, {Number(stage, "emitted")} emitted");
            string dropped = Drops(stage.GetProperty("dropped"));
            string rejected = Drops(stage.GetProperty("rejected"));
            if (dropped.Length > 0)
            {
                output.WriteLine($"  dropped:{dropped.TrimStart(',')}");
            }

            if (rejected.Length > 0)
            {
                output.WriteLine($"  rejected:{rejected.TrimStart(',')}");
            }

            if (stage.TryGetProperty("status", out JsonElement status))
            {
                RenderObject(status, output, "  ");
            }
        }
    }

    /// <summary>
    /// Prints a status object by the conventions of <see cref="RouterHost.Abstractions.IStatusReporter"/>: one line per
    /// property ("latest handshake: 12 seconds ago" for <c>latest_handshake_unix</c>), <c>rx_bytes</c> and
    /// <c>tx_bytes</c> together as "transfer: 1.2 MiB received, 300 KiB sent", and each array of objects as one block per
    /// object headed by its first property.
    /// </summary>
    private static void RenderObject(JsonElement value, TextWriter output, string indent)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            output.WriteLine($"{indent}status: {Scalar(value)}");
            return;
        }

        var blocks = new List<JsonProperty>();
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Array && property.Value.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object))
            {
                blocks.Add(property);
                continue;
            }

            RenderProperty(value, property, output, indent);
        }

        foreach (JsonProperty block in blocks)
        {
            string singular = block.Name.EndsWith('s') ? block.Name[..^1] : block.Name;
            foreach (JsonElement item in block.Value.EnumerateArray())
            {
                output.WriteLine();
                bool first = true;
                foreach (JsonProperty property in item.EnumerateObject())
                {
                    if (first)
                    {
                        output.WriteLine($"{indent}{Words(singular)}: {Scalar(property.Value)}");
                        first = false;
                        continue;
                    }

                    RenderProperty(item, property, output, indent + "  ");
                }
            }
        }
    }

    /// <summary>One property of a status object as a line, formatted by its name's suffix.</summary>
    private static void RenderProperty(JsonElement owner, JsonProperty property, TextWriter output, string indent)
    {
        string name = property.Name;
        JsonElement value = property.Value;
        if (name == "tx_bytes" && owner.TryGetProperty("rx_bytes", out _))
        {
            return; // shown with rx_bytes
        }

        if (name == "rx_bytes" && value.ValueKind == JsonValueKind.Number && owner.TryGetProperty("tx_bytes", out JsonElement sent) && sent.ValueKind == JsonValueKind.Number)
        {
            output.WriteLine($"{indent}transfer: {Bytes(value.GetInt64())} received, {Bytes(sent.GetInt64())} sent");
            return;
        }

        if (name.EndsWith("_unix", StringComparison.Ordinal) && value.ValueKind == JsonValueKind.Number)
        {
            long unix = value.GetInt64();
            output.WriteLine($"{indent}{Words(name[..^"_unix".Length])}: {(unix == 0 ? "never" : Ago(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - unix))}");
            return;
        }

        if (name.EndsWith("_bytes", StringComparison.Ordinal) && value.ValueKind == JsonValueKind.Number)
        {
            output.WriteLine($"{indent}{Words(name[..^"_bytes".Length])}: {Bytes(value.GetInt64())}");
            return;
        }

        if (name.EndsWith("_seconds", StringComparison.Ordinal) && value.ValueKind == JsonValueKind.Number)
        {
            double seconds = value.GetDouble();
            output.WriteLine($"{indent}{Words(name[..^"_seconds".Length])}: {(seconds == 0 ? "off" : Duration(seconds))}");
            return;
        }

        output.WriteLine($"{indent}{Words(name)}: {Scalar(value)}");
    }

    /// <summary>"5 seconds ago", "2 minutes, 3 seconds ago", "1 hour, 4 minutes ago" (as <c>wg show</c> words it).</summary>
    internal static string Ago(long seconds)
    {
        seconds = Math.Max(0, seconds);
        static string Unit(long n, string unit) => $"{n} {unit}{(n == 1 ? "" : "s")}";
        return seconds switch
        {
            < 60 => $"{Unit(seconds, "second")} ago",
            < 3600 => $"{Unit(seconds / 60, "minute")}, {Unit(seconds % 60, "second")} ago",
            < 86400 => $"{Unit(seconds / 3600, "hour")}, {Unit(seconds / 60 % 60, "minute")} ago",
            _ => $"{Unit(seconds / 86400, "day")}, {Unit(seconds / 3600 % 24, "hour")} ago",
        };
    }

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.Array => value.GetArrayLength() == 0 ? "(none)" : string.Join(", ", value.EnumerateArray().Select(Scalar)),
        JsonValueKind.Object => string.Join(", ", value.EnumerateObject().Select(p => $"{Words(p.Name)} {Scalar(p.Value)}")),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => "(none)",
        _ => value.GetRawText(),
    };

    private static string Words(string name) => name.Replace('_', ' ');

    private static string Number(JsonElement element, string name) => element.GetProperty(name).GetRawText();

    private static string Drops(JsonElement drops)
    {
        var parts = new List<string>();
        foreach (JsonProperty reason in drops.EnumerateObject())
        {
            parts.Add($"{reason.Name} {reason.Value.GetRawText()}");
        }

        return parts.Count == 0 ? string.Empty : ", dropped " + string.Join(", ", parts);
    }

    internal static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }

    internal static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? $"{(int)span.TotalDays} d {span.Hours} h"
            : span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s"
            : string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s");
    }
}
