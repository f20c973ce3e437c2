using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Samples.Capture.Filter;
using RouterHost.Samples.Capture.Lanes;
using RouterHost.Samples.Capture.Pcapng;
using RouterHost.Settings;

namespace RouterHost.Samples.Capture.Stage;

/// <summary>The capture stage's settings, read from its <c>Settings</c> section (README.md lists them).</summary>
internal sealed record CaptureSettings
{
    /// <summary>The default snap length: the whole of any packet Wireshark takes.</summary>
    public const int DefaultSnapLength = PcapngBlocks.MaxSnapLength;

    /// <summary>The smallest rotation size: room for a section header, an interface and a small packet.</summary>
    public const long MinMaxFileBytes = 1024;

    /// <summary>The keys the section may have.</summary>
    public static readonly string[] Keys = ["Folder", "FileName", "SnapLength", "MaxFileBytes", "MaxFiles", "BufferBytes", "Ports", "Prefixes", "Protocols"];

    /// <summary>The folder the files go in (absolute; root's, not writable by others).</summary>
    public string Folder { get; init; } = string.Empty;

    /// <summary>The first part of the files' names.</summary>
    public string FileName { get; init; } = "capture";

    /// <summary>The most bytes of one packet kept.</summary>
    public int SnapLength { get; init; } = DefaultSnapLength;

    /// <summary>Rotation size; 0 = one file.</summary>
    public long MaxFileBytes { get; init; }

    /// <summary>Files of this run kept; 0 = all.</summary>
    public int MaxFiles { get; init; }

    /// <summary>Bytes of buffer per lane between the lane and the writer thread.</summary>
    public int BufferBytes { get; init; } = 4 << 20;

    /// <summary>Port names, each with its key path, of which a packet's ingress or egress must be one.</summary>
    public IReadOnlyList<(string Path, string Name)> Ports { get; init; } = [];

    /// <summary>Prefixes of which one must hold a packet's source or destination.</summary>
    public IReadOnlyList<CapturePrefix> Prefixes { get; init; } = [];

    /// <summary>IP protocol numbers of which a packet's must be one.</summary>
    public IReadOnlyList<byte> Protocols { get; init; } = [];

    /// <summary>The file naming and rotation these settings ask for.</summary>
    public CaptureFileOptions FileOptions => new(Folder, FileName, SnapLength, MaxFileBytes, MaxFiles);

    /// <summary>Bytes of one chunk of a lane's buffer: at least the largest record a packet makes.</summary>
    public int ChunkBytes => Math.Max(64 * 1024, CaptureChunk.RecordLength(SnapLength));

    /// <summary>Chunks per lane.</summary>
    public int ChunksPerLane => Math.Max(2, BufferBytes / ChunkBytes);

    /// <summary>
    /// Reads the settings, adding a problem with its key path for every bad value; <paramref name="checkFolder"/> also
    /// judges the folder on this machine (<see cref="FolderTrust"/>).
    /// </summary>
    public static CaptureSettings Read(IConfigurationSection section, List<ConfigurationProblem> problems, bool checkFolder)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(section, Keys);
        string folder = section["Folder"]?.Trim() ?? string.Empty;
        if (folder.Length == 0)
        {
            reader.Problem($"{section.Path}:Folder", "is required: the folder the capture files go in, like '/var/log/routerhost/capture' (root's, not writable by others)");
        }
        else if (checkFolder && FolderTrust.Check(folder) is { } refusal)
        {
            reader.Problem($"{section.Path}:Folder", refusal);
        }

        string fileName = section["FileName"]?.Trim() is { Length: > 0 } name ? name : "capture";
        if (!IsFileNamePart(fileName))
        {
            reader.Problem($"{section.Path}:FileName", $"must be 1-64 letters, digits, '-', '_' or '.' (got '{fileName}')");
        }

        long maxFileBytes = reader.Integer(section, "MaxFileBytes", 0, 0, long.MaxValue / 2);
        if (maxFileBytes is > 0 and < MinMaxFileBytes)
        {
            reader.Problem($"{section.Path}:MaxFileBytes", $"must be 0 (one file) or at least {MinMaxFileBytes} (got '{section["MaxFileBytes"]}')");
        }

        var ports = new List<(string, string)>();
        foreach ((string path, string value) in reader.Strings(section.GetSection("Ports")))
        {
            ports.Add((path, value));
        }

        var prefixes = new List<CapturePrefix>();
        foreach ((string path, string value) in reader.Strings(section.GetSection("Prefixes")))
        {
            if (FilterText.TryParsePrefix(value, out CapturePrefix prefix, out string error))
            {
                prefixes.Add(prefix);
            }
            else
            {
                reader.Problem(path, error);
            }
        }

        var protocols = new List<byte>();
        foreach ((string path, string value) in reader.Strings(section.GetSection("Protocols")))
        {
            if (!FilterText.TryParseProtocol(value, protocols, out string error))
            {
                reader.Problem(path, error);
            }
        }

        return new CaptureSettings
        {
            Folder = folder,
            FileName = fileName,
            SnapLength = (int)reader.Integer(section, "SnapLength", DefaultSnapLength, 1, PcapngBlocks.MaxSnapLength),
            MaxFileBytes = maxFileBytes,
            MaxFiles = (int)reader.Integer(section, "MaxFiles", 0, 0, 1_000_000),
            BufferBytes = (int)reader.Integer(section, "BufferBytes", 4 << 20, 128 << 10, 1 << 30),
            Ports = ports,
            Prefixes = prefixes,
            Protocols = protocols,
        };
    }

    private static bool IsFileNamePart(string name)
    {
        if (name.Length is 0 or > 64 || name.StartsWith('.'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
