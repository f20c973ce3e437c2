using System.Text;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Samples.Capture.Filter;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Fuzz;

/// <summary>A fuzz target: runs one input, throwing only when the code under test breaks its rules.</summary>
internal interface ITarget
{
    /// <summary>Runs one input.</summary>
    void Run(ReadOnlySpan<byte> input);

    /// <summary>Small valid inputs to start from.</summary>
    IEnumerable<KeyValuePair<string, byte[]>> Seeds();
}

/// <summary>A broken rule: afl-fuzz counts it as a crash.</summary>
internal sealed class InvariantViolationException(string message) : Exception(message);

/// <summary>
/// <c>settings</c>: the input as the JSON of the stage's <c>Settings</c> section, through <see cref="CapturePlugin.Validate"/>.
/// Bad input must come back as problems, each under the section's key path, never as an exception (the JSON provider's
/// own refusal of text that is not JSON is not the plugin's and is skipped).
/// </summary>
internal sealed class SettingsTarget : ITarget
{
    private readonly CapturePlugin _plugin = new();

    public void Run(ReadOnlySpan<byte> input)
    {
        string json = Encoding.UTF8.GetString(input);
        if (json.Contains("/proc", StringComparison.Ordinal) || json.Contains("/sys", StringComparison.Ordinal) || json.Contains("/dev", StringComparison.Ordinal))
        {
            return;
        }

        IConfigurationSection section;
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes("{\"S\": " + json + "\n}"));
            section = new ConfigurationBuilder().AddJsonStream(stream).Build().GetSection("S");
        }
        catch (FormatException)
        {
            return;
        }
        catch (InvalidDataException)
        {
            return;
        }
        catch (System.Text.Json.JsonException)
        {
            return;
        }

        foreach (ConfigurationProblem problem in _plugin.Validate(section))
        {
            if (!problem.Path.StartsWith('S') || problem.Message.Length == 0)
            {
                throw new InvariantViolationException($"a problem without the section's key path or a message: {problem}");
            }
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("good", Encoding.UTF8.GetBytes("{\"Folder\": \"/var/tmp\", \"SnapLength\": 128, \"MaxFileBytes\": 1048576, \"MaxFiles\": 4, \"Ports\": [\"tun0\"], \"Prefixes\": [\"10.0.0.0/8\", \"2001:db8::/32\"], \"Protocols\": [\"icmp\", \"17\"]}"));
        yield return new("bad", Encoding.UTF8.GetBytes("{\"Folder\": \"rel\", \"Prefixes\": \"10.1.2.3/8\", \"Protocols\": [\"tcpp\", 300], \"Colour\": 1}"));
    }
}

/// <summary>
/// <c>packet</c>: the first byte picks a filter (ports, prefixes of either family, protocols), the rest is a packet:
/// <see cref="CaptureFilter.Matches"/> and <see cref="CaptureFilter.TryParse"/> must agree and stay inside the packet,
/// and the packet written to a pcapng file (cut to a snap length from the second byte) makes blocks of the promised
/// lengths.
/// </summary>
internal sealed class PacketTarget : ITarget
{
    private static readonly CaptureFilter[] Filters =
    [
        CaptureFilter.All,
        new([1], [], []),
        new([], [Prefix("10.0.0.0/8")], []),
        new([], [Prefix("fd00::/8"), Prefix("192.0.2.0/24")], [6, 17]),
        new([], [], [58, 1]),
        new([2], [Prefix("0.0.0.0/0"), Prefix("::/0")], [0, 44, 255]),
    ];

    private readonly CaptureFiles _files;
    private MemoryStream _file = new();

    public PacketTarget()
    {
        _files = new CaptureFiles(
            new CaptureFileOptions("/nonexistent", "fuzz", PcapngBlocks.MaxSnapLength, 0, 0),
            DateTimeOffset.UnixEpoch,
            _ => _file = new MemoryStream(),
            port => new PortLabel("port" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }

        CaptureFilter filter = Filters[input[0] % Filters.Length];
        int snap = 1 + input[1];
        ReadOnlySpan<byte> packet = input[2..];
        bool parsed = CaptureFilter.TryParse(packet, out ReadOnlySpan<byte> source, out ReadOnlySpan<byte> destination, out _);
        if (parsed && (source.Length != destination.Length || source.Length is not (4 or 16)))
        {
            throw new InvariantViolationException($"addresses of {source.Length} and {destination.Length} bytes");
        }

        bool matched = filter.Matches(packet, (uint)(input[0] & 3), 0);
        if (matched && !parsed && (filter != Filters[0] && filter != Filters[1]))
        {
            throw new InvariantViolationException("a prefix or protocol filter kept a packet that does not parse");
        }

        long before = _files.TotalBytes;
        ReadOnlySpan<byte> captured = packet.Length > snap ? packet[..snap] : packet;
        _files.Write((uint)(input[0] & 3), 1, captured, packet.Length, CaptureDirection.Inbound);
        long written = _files.TotalBytes - before;
        if (_file.Length != _files.CurrentBytes)
        {
            throw new InvariantViolationException($"the file has {_file.Length} bytes, the writer counted {_files.CurrentBytes}");
        }

        if (written < PcapngBlocks.EnhancedPacketLength(captured.Length) || written % 4 != 0)
        {
            throw new InvariantViolationException($"an enhanced packet block of {written} bytes for {captured.Length} captured");
        }

        if (_file.Length > 1 << 24)
        {
            // The next packet starts a new file (a new stream).
            _files.Close();
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        byte[] v4 = new byte[28];
        v4[0] = 0x45;
        v4[9] = 17;
        v4[12] = 10;
        v4[16] = 192;
        v4[17] = 0;
        v4[18] = 2;
        byte[] v6 = new byte[56];
        v6[0] = 0x60;
        v6[6] = 0;
        v6[8] = 0xfd;
        v6[40] = 17;
        yield return new("v4", [3, 64, .. v4]);
        yield return new("v6", [3, 20, .. v6]);
    }

    private static CapturePrefix Prefix(string text) =>
        FilterText.TryParsePrefix(text, out CapturePrefix prefix, out string error) ? prefix : throw new ArgumentException(error);
}
