using System.Diagnostics;

namespace RouterHost.Samples.Capture.Tests;

/// <summary>Runs <c>tshark -r</c> on a file and returns its field lines.</summary>
internal static class Tshark
{
    public static bool Available => File.Exists("/usr/bin/tshark");

    /// <summary>The rows of <c>tshark -r FILE -T fields -e F...</c>, fields split on tabs; throws when tshark fails.</summary>
    public static List<string[]> Fields(string file, params string[] fields)
    {
        var info = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["-n", "-r", file, "-T", "fields", "-E", "occurrence=f"])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (string field in fields)
        {
            info.ArgumentList.Add("-e");
            info.ArgumentList.Add(field);
        }

        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string errors = stderr.Result;
        if (process.ExitCode != 0 || errors.Contains("appears to be damaged", StringComparison.Ordinal) || errors.Contains("cut short", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tshark -r {file} failed ({process.ExitCode}): {errors}");
        }

        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))];
    }
}

/// <summary>Builds IP packets for the tests.</summary>
internal static class TestPackets
{
    /// <summary>An IPv4 packet of <paramref name="length"/> bytes (at least 20) with this protocol and addresses.</summary>
    public static byte[] IPv4(string source, string destination, byte protocol, int length)
    {
        byte[] packet = new byte[length];
        packet[0] = 0x45;
        packet[2] = (byte)(length >> 8);
        packet[3] = (byte)length;
        packet[8] = 64;
        packet[9] = protocol;
        System.Net.IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 12);
        System.Net.IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 16);
        ushort checksum = Checksum(packet.AsSpan(0, 20));
        packet[10] = (byte)(checksum >> 8);
        packet[11] = (byte)checksum;
        for (int i = 20; i < length; i++)
        {
            packet[i] = (byte)i;
        }

        return packet;
    }

    /// <summary>An IPv6 packet of <paramref name="length"/> bytes (at least 40) with this next header and addresses.</summary>
    public static byte[] IPv6(string source, string destination, byte nextHeader, int length)
    {
        byte[] packet = new byte[length];
        packet[0] = 0x60;
        packet[4] = (byte)((length - 40) >> 8);
        packet[5] = (byte)(length - 40);
        packet[6] = nextHeader;
        packet[7] = 64;
        System.Net.IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 8);
        System.Net.IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 24);
        return packet;
    }

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += (uint)((header[i] << 8) | header[i + 1]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
