using Akka.Actor;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TcpActors.Engine.Link;

/// <summary>Where and how much a <see cref="PcapRecorder"/> writes.</summary>
public sealed record CaptureSettings(string Path, long MaxFileBytes = 100L << 20, int MaxFiles = 1)
{
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException("the capture path is empty", nameof(Path));
        if (MaxFileBytes < 1024)
            throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "a capture file needs at least 1024 bytes");
        if (MaxFiles < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxFiles), MaxFiles, "at least one capture file");
    }
}

/// <summary>
/// A link decorator that writes every packet sent and received to a .pcap file (raw IPv4, link type 101)
/// with SharpPcap's capture file writer, so a session can be opened in Wireshark. Bounded: when a file
/// reaches MaxFileBytes the next one starts (path.1, path.2, ...; the oldest is overwritten) and with
/// MaxFiles = 1 recording simply stops. Timestamps come from the actor system's scheduler.
/// </summary>
public sealed class PcapRecorder : ILink, ILinkReceiver
{
    private const int FileHeaderBytes = 24;
    private const int RecordHeaderBytes = 16;
    private readonly ILink _inner;
    private readonly IScheduler _clock;
    private readonly CaptureSettings _settings;
    private readonly object _gate = new();
    private CaptureFileWriterDevice? _writer;
    private long _fileBytes;
    private int _fileIndex;
    private ILinkReceiver? _receiver;

    public PcapRecorder(ILink inner, IScheduler clock, CaptureSettings settings)
    {
        settings.Validate();
        _inner = inner;
        _clock = clock;
        _settings = settings;
        OpenFile();
    }

    /// <summary>
    /// Checks, before any device exists, what a recorder to <paramref name="settings"/> will need: valid settings and
    /// libpcap (a host calls this at startup, so that a missing library stops it at once with a clear error instead
    /// of failing each time the stack opens its link).
    /// </summary>
    public static void EnsureAvailable(CaptureSettings settings)
    {
        settings.Validate();
        // A writer on a scratch file, opened as OpenFile opens one (Pcap.Version hides a missing library behind a
        // placeholder string).
        string probe = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tcpa-libpcap-check-{Environment.ProcessId}.pcap");
        try
        {
            OpenWriter(probe, settings.Path).Close();
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>Creates <paramref name="path"/> and opens a raw-IPv4 capture writer on it; a missing libpcap is reported as
    /// what capturing to <paramref name="capture"/> needs.</summary>
    private static CaptureFileWriterDevice OpenWriter(string path, string capture)
    {
        var writer = new CaptureFileWriterDevice(path, FileMode.Create);
        try
        {
            // DLT_RAW (12; PacketDotNet calls it RawLegacy): libpcap writes it to the file as LINKTYPE_RAW (101).
            writer.Open(new DeviceConfiguration { LinkLayerType = PacketDotNet.LinkLayers.RawLegacy, Snaplen = 65535 });
        }
        catch (DllNotFoundException e)
        {
            // SharpPcap writes through libpcap; without it the error names 'wpcap', which says nothing on Linux.
            throw new InvalidOperationException(
                $"capturing to {capture} needs libpcap, which could not be loaded (Debian: apt-get install libpcap0.8): {e.Message}", e);
        }
        return writer;
    }

    public int Mtu => _inner.Mtu;

    public int GsoMaxSize => _inner.GsoMaxSize;

    /// <summary>Packets written so far, and whether recording stopped at its bound.</summary>
    public long PacketsWritten { get; private set; }
    public bool Stopped { get; private set; }

    /// <summary>The file being written now.</summary>
    public string CurrentPath => _fileIndex == 0 ? _settings.Path : $"{_settings.Path}.{_fileIndex}";

    public void Send(ReadOnlySpan<byte> packet)
    {
        Record(packet);
        _inner.Send(packet);
    }

    public void Start(ILinkReceiver receiver)
    {
        _receiver = receiver;
        _inner.Start(this);
    }

    void ILinkReceiver.OnPacket(ReadOnlySpan<byte> packet)
    {
        Record(packet);
        _receiver?.OnPacket(packet);
    }

    void ILinkReceiver.OnLinkFailed(Exception cause) => _receiver?.OnLinkFailed(cause);

    void ILinkReceiver.OnBatchEnd() => _receiver?.OnBatchEnd();

    private void Record(ReadOnlySpan<byte> packet)
    {
        lock (_gate)
        {
            if (_writer is null)
                return;
            long needed = RecordHeaderBytes + packet.Length;
            if (_fileBytes + needed > _settings.MaxFileBytes)
            {
                _writer.Close();
                _writer = null;
                if (_settings.MaxFiles == 1)
                {
                    Stopped = true;
                    return;
                }
                _fileIndex = (_fileIndex + 1) % _settings.MaxFiles;
                OpenFile();
            }
            long now = (_clock.Now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;   // microseconds
            var header = new PcapHeader((uint)(now / 1_000_000), (uint)(now % 1_000_000), (uint)packet.Length, (uint)packet.Length);
            _writer!.Write(packet, ref header);
            _fileBytes += needed;
            PacketsWritten++;
        }
    }

    private void OpenFile()
    {
        _writer = OpenWriter(CurrentPath, CurrentPath);
        _fileBytes = FileHeaderBytes;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Close();
            _writer = null;
        }
        _inner.Dispose();
    }
}
