package io.herologic.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that runs against a real Kubernetes API server: the cluster named by {@code KUBECONFIG}
 * when set (Kind, a real cluster), else a devcluster started once for the whole test run. Each test
 * gets its own namespace; on failure the Pods' logs and the Events are saved beside the reports.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(DevClusterExtension.class)
public @interface DevClusterTest {}
