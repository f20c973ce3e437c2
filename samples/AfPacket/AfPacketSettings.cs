using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// The AfPacket backend's settings (<c>Interfaces:&lt;name&gt;:Settings</c>), every problem located by key path. See
/// samples/AfPacket/README.md for each key:
/// <code>
/// "Device": "eth1", "Queues": 2, "BlockSize": 262144, "BlockCount": 32, "BlockTimeout": "2ms", "Offloads": true,
/// "Neighbours": { "CacheSize": 1024, "Refresh": "30s", "RetryInterval": "1s" }
/// </code>
/// </summary>
internal sealed record AfPacketSettings(
    string Device,
    int? Queues,
    int BlockSize,
    int BlockCount,
    TimeSpan BlockTimeout,
    bool Offloads,
    int NeighbourCacheSize,
    TimeSpan NeighbourRefresh,
    TimeSpan NeighbourRetry)
{
    /// <summary>tp_frame_size given to the kernel (TPACKET_V3 packs frames by their real size; this is only its unit).</summary>
    public const int FrameSize = 2048;

    public const int DefaultBlockSize = 256 * 1024;
    public const int MinBlockSize = 128 * 1024;
    public const int MaxBlockSize = 4 * 1024 * 1024;
    public const int DefaultBlockCount = 32;
    public const int MaxQueues = 64;
    public const long MaxRingBytes = 1L << 30;

    private static readonly string[] s_keys = ["Device", "Queues", "BlockSize", "BlockCount", "BlockTimeout", "Offloads", "Neighbours"];
    private static readonly string[] s_neighbourKeys = ["CacheSize", "Refresh", "RetryInterval"];

    /// <summary>Parses <paramref name="settings"/>; problems go to <paramref name="problems"/> (the result then holds defaults where values were bad).</summary>
    public static AfPacketSettings Parse(IConfigurationSection settings, string interfaceName, List<ConfigurationProblem> problems)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(settings, s_keys);
        string device = reader.DeviceName(settings, "Device", interfaceName);
        int? queues = settings["Queues"] is null ? null : (int)reader.Integer(settings, "Queues", 1, 1, MaxQueues);
        int blockSize = (int)reader.Integer(settings, "BlockSize", DefaultBlockSize, MinBlockSize, MaxBlockSize);
        if ((blockSize & (blockSize - 1)) != 0)
        {
            reader.Problem($"{settings.Path}:BlockSize", $"must be a power of two between {MinBlockSize} and {MaxBlockSize} bytes (got {blockSize}): the kernel allocates each block as one run of pages");
            blockSize = DefaultBlockSize;
        }

        int blockCount = (int)reader.Integer(settings, "BlockCount", DefaultBlockCount, 2, 4096);
        if ((long)blockSize * blockCount > MaxRingBytes)
        {
            reader.Problem($"{settings.Path}:BlockCount", $"{blockCount} blocks of {blockSize} bytes make a ring over {MaxRingBytes >> 20} MiB per queue; lower BlockCount or BlockSize");
        }

        TimeSpan timeout = reader.Duration(settings, "BlockTimeout", TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        if (timeout.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            reader.Problem($"{settings.Path}:BlockTimeout", $"must be whole milliseconds (got '{settings["BlockTimeout"]}'): the kernel's block timer counts milliseconds");
        }

        bool offloads = reader.Boolean(settings, "Offloads", true);
        IConfigurationSection neighbours = settings.GetSection("Neighbours");
        reader.CheckKeys(neighbours, s_neighbourKeys);
        int cacheSize = (int)reader.Integer(neighbours, "CacheSize", 1024, 16, 1 << 20);
        TimeSpan refresh = reader.Duration(neighbours, "Refresh", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        TimeSpan retry = reader.Duration(neighbours, "RetryInterval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        if (retry > refresh)
        {
            reader.Problem($"{neighbours.Path}:RetryInterval", $"must not be longer than Refresh ({refresh.TotalSeconds}s)");
        }

        return new AfPacketSettings(device, queues, blockSize, blockCount, timeout, offloads, cacheSize, refresh, retry);
    }
}
