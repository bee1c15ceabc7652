using System.Net.Sockets;
using System.Security.Cryptography;

namespace TcpActors.Interop.Tests.Support;

/// <summary>Blocking transfers on kernel sockets, on threads of their own, hashing what passes.</summary>
public static class KernelStream
{
    /// <summary>Sends <paramref name="count"/> bytes of the seeded stream (64 KB sends); returns their SHA-256.</summary>
    public static byte[] Send(Socket socket, long count, int seed)
    {
        var pattern = new Random(seed);
        var chunk = new byte[StreamApp.ChunkSize];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long sent = 0; sent < count;)
        {
            int n = (int)Math.Min(chunk.Length, count - sent);
            pattern.NextBytes(chunk.AsSpan(0, n));
            hash.AppendData(chunk.AsSpan(0, n));
            for (int off = 0; off < n;)
                off += socket.Send(chunk, off, n - off, SocketFlags.None);
            sent += n;
        }
        return hash.GetHashAndReset();
    }

    /// <summary>Receives until the peer's FIN (a read of 0); returns the byte count and their SHA-256.</summary>
    public static (long Count, byte[] Sha256) ReceiveToEnd(Socket socket)
    {
        var buffer = new byte[256 * 1024];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        while (true)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
                return (count, hash.GetHashAndReset());
            hash.AppendData(buffer.AsSpan(0, n));
            count += n;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a dedicated background thread (blocking socket calls must not hold pool threads).</summary>
    public static Task<T> OnThread<T>(string name, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The task's result, or a failed assertion if it does not finish within <paramref name="bound"/>.</summary>
    public static T Await<T>(Task<T> task, TimeSpan bound, string what)
    {
        Assert.True(task.Wait(bound), $"{what} did not finish within {bound.TotalSeconds:0} s");
        return task.Result;
    }
}
