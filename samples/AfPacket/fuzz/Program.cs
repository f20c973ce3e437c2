using RouterHost.Abstractions;
using RouterHost.Samples.AfPacket;
using RouterHost.Samples.AfPacket.Fuzz;
using SharpFuzz;

// RouterHost.Samples.AfPacket.Fuzz TARGET              run TARGET under afl-fuzz (SharpFuzz's in-process fork server)
// RouterHost.Samples.AfPacket.Fuzz run TARGET PATH...   replay files or folders of inputs in-process
// RouterHost.Samples.AfPacket.Fuzz seed TARGET DIR      write the seed inputs of TARGET to DIR
// Targets: frame (a ring frame: options byte, virtio-net header, Ethernet frame), arp (an ARP payload),
// nd (an IPv6 packet holding a neighbour solicitation or advertisement).
const int MaxInput = 70_000;
switch (args)
{
    case ["run", string name, .. string[] paths] when paths.Length > 0:
        Action<ReadOnlyMemory<byte>> replay = Targets.Get(name);
        foreach (string path in paths)
        {
            foreach (string file in Directory.Exists(path) ? Directory.GetFiles(path) : [path])
            {
                replay(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: ok");
            }
        }

        return 0;
    case ["seed", string name, string directory]:
        Directory.CreateDirectory(directory);
        int n = 0;
        foreach (byte[] seed in Targets.Seeds(name))
        {
            File.WriteAllBytes(Path.Combine(directory, $"seed-{n++:D2}"), seed);
        }

        Console.WriteLine($"{n} seeds written to {directory}");
        return 0;
    case [string name] when name is "frame" or "arp" or "nd":
        Action<ReadOnlyMemory<byte>>? target = null;
        byte[] buffer = new byte[MaxInput];
        Fuzzer.Run(stream =>
        {
            // Created inside the first run: instrumented code may only run once SharpFuzz has set up the coverage map.
            target ??= Targets.Get(name);
            int length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            target(buffer.AsMemory(0, length));
        });
        return 0;
    default:
        Console.Error.WriteLine("usage: RouterHost.Samples.AfPacket.Fuzz TARGET | run TARGET PATH... | seed TARGET DIR (targets: frame, arp, nd)");
        return 2;
}

namespace RouterHost.Samples.AfPacket.Fuzz
{
    /// <summary>The targets: each runs one input and throws only when an invariant breaks (afl-fuzz counts that as a crash).</summary>
    internal static class Targets
    {
        private static readonly LocalAddresses s_local = new([0x0A010001], [UInt128.One]);

        public static Action<ReadOnlyMemory<byte>> Get(string name) => name switch
        {
            "frame" => input => Frame(input.Span),
            "arp" => input => ArpMessageOf(input.Span),
            "nd" => input => Discovery(input.Span),
            _ => throw new ArgumentException($"no fuzz target named '{name}' (known: frame, arp, nd)"),
        };

        /// <summary>
        /// Byte 0: bits 0-2 the sll_pkttype, bit 3 TP_STATUS_CSUMNOTREADY, bit 4 TP_STATUS_VLAN_VALID, bit 5 offloads off;
        /// bytes 1-10 the virtio-net header; the rest the frame from its Ethernet header.
        /// </summary>
        public static void Frame(ReadOnlySpan<byte> input)
        {
            if (input.Length < 11)
            {
                return;
            }

            byte options = input[0];
            uint status = 1 | ((options & 0x08) != 0 ? 8u : 0) | ((options & 0x10) != 0 ? 0x10u : 0);
            bool offloads = (options & 0x20) == 0;
            ReadOnlySpan<byte> frame = input[11..];
            FrameKind kind = FrameClassifier.Classify(frame, offloads ? input[1..11] : default, (byte)(options & 7), status, 1500, s_local, out int length, out GsoInfo gso, out DropReason drop);
            bool ok = kind switch
            {
                FrameKind.Ip => length >= 20 && length <= frame.Length - Ethernet.HeaderLength
                    && (!gso.NeedsChecksum || gso.ChecksumStart + gso.ChecksumOffset + 2 <= length)
                    && (!gso.IsSuperpacket || (gso.SegmentSize > 0 && gso.HeaderLength < length))
                    && (gso.IsSuperpacket || length <= 1500),
                FrameKind.Dropped => !drop.IsNone,
                _ => drop.IsNone,
            };
            if (!ok)
            {
                throw new InvalidOperationException($"frame classified {kind} with length {length}, gso {gso}, drop '{drop.Name}' breaks an invariant");
            }
        }

        /// <summary>An ARP payload: whatever parses says what its bytes say.</summary>
        public static void ArpMessageOf(ReadOnlySpan<byte> input)
        {
            if (Arp.TryParse(input, out ArpMessage message)
                && (input.Length < Arp.Length || message.SenderMac != Ethernet.ReadMac(input[8..]) || Ethernet.IsGroup(message.SenderMac)))
            {
                throw new InvalidOperationException($"ARP parsed {message} from bytes that do not say so");
            }
        }

        /// <summary>An IPv6 packet: what parses as neighbour discovery is a solicitation or advertisement with a unicast link address, if any.</summary>
        public static void Discovery(ReadOnlySpan<byte> input)
        {
            if (NeighbourDiscovery.TryParse(input, out NdMessage message)
                && ((message.Type != NeighbourDiscovery.Solicitation && message.Type != NeighbourDiscovery.Advertisement)
                    || (message.LinkAddress != 0 && Ethernet.IsGroup(message.LinkAddress))
                    || input.Length < 64 || input[7] != 255))
            {
                throw new InvalidOperationException($"neighbour discovery parsed {message} from bytes that do not say so");
            }
        }

        public static IEnumerable<byte[]> Seeds(string name)
        {
            byte[] solicitation = new byte[NeighbourDiscovery.SolicitationFrameLength];
            NeighbourDiscovery.WriteSolicitation(solicitation, 0x020000000001, ((UInt128)0xFD01UL << 112) | 1, ((UInt128)0xFD01UL << 112) | 2);
            if (name == "nd")
            {
                yield return solicitation[14..];
                yield break;
            }

            byte[] request = new byte[42];
            Arp.WriteRequest(request, 0x020000000002, 0x0A010002, 0x0A010001);
            if (name == "arp")
            {
                yield return request[14..];
                yield break;
            }

            byte[] ipv4 = new byte[14 + 40];
            Ethernet.WriteHeader(ipv4, 0x020000000001, 0x020000000002, Ethernet.TypeIPv4);
            ipv4[14] = 0x45;
            ipv4[17] = 40;
            ipv4[23] = 6;
            ipv4[46] = 0x50;
            yield return [0, .. new byte[10], .. ipv4];
            yield return [0x20 | 0x08, .. new byte[10], .. ipv4];
            yield return [0, 1, 1, 0, 0, 0xA8, 0x05, 34, 0, 16, 0, .. ipv4];
            yield return [1, .. new byte[10], .. request];
            yield return [2, .. new byte[10], .. solicitation];
        }
    }
}
