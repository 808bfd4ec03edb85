package io.maaskit.functions;

import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.crac.CheckpointException;
import org.crac.Core;
import org.crac.Resource;
import org.crac.RestoreException;

/**
 * The CRaC resources this application registers, in order. Each is registered with CRaC's global
 * context (what SnapStart runs around its snapshot) and remembered here, because a JVM without CRaC
 * keeps no list; {@link #checkpointAndRestore()} then runs the same hooks in one process, in the
 * order a checkpoint and a restore would, so tests can restore a handler without a CRaC JVM.
 */
@Singleton
public class CracHooks {
  private final List<Resource> registered = new CopyOnWriteArrayList<>();

  /** Registers {@code r} with CRaC (which holds it weakly; callers keep it alive). */
  public void register(Resource r) {
    registered.add(r);
    Core.getGlobalContext().register(r);
  }

  /** The resources registered so far, in registration order. */
  public List<Resource> registered() {
    return List.copyOf(registered);
  }

  /**
   * Runs every {@code beforeCheckpoint} in reverse registration order, then every {@code
   * afterRestore} in registration order, as CRaC's global context does around a snapshot.
   */
  public void checkpointAndRestore() throws CheckpointException, RestoreException {
    List<Resource> before = new ArrayList<>(registered);
    java.util.Collections.reverse(before);
    for (Resource r : before) {
      try {
        r.beforeCheckpoint(null);
      } catch (CheckpointException e) {
        throw e;
      } catch (Exception e) {
        CheckpointException c = new CheckpointException();
        c.addSuppressed(e);
        throw c;
      }
    }
    for (Resource r : registered) {
      try {
        r.afterRestore(null);
      } catch (RestoreException e) {
        throw e;
      } catch (Exception e) {
        RestoreException c = new RestoreException();
        c.addSuppressed(e);
        throw c;
      }
    }
  }
}
