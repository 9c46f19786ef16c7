package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.operator.ui.PlayViews.PlayLink;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlayRelativesTest {
  private static Play child(String name, String created, String parentName, String parentUid, boolean label) {
    Play play = PlayViewsTest.play("a", name, "hello", PlayPhase.Succeeded, created);
    if (parentUid != null) {
      play.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("herologic.io/v1alpha1").withKind("Play")
          .withName(parentName).withUid(parentUid).build()));
    }
    if (label) {
      play.getMetadata().setLabels(Map.of(PlayViews.PARENT_LABEL, parentName));
    }
    return play;
  }

  @Test
  void aChildNamesItsParentByOwnerReferenceElseByTheSdksLabel() {
    assertEquals(Optional.of("p"), PlayViews.parentName(child("c", "2026-01-01T00:00:01Z", "p", "uid-p", false)));
    assertEquals(Optional.of("p"), PlayViews.parentName(child("c", "2026-01-01T00:00:01Z", "p", null, true)));
    assertEquals(Optional.empty(), PlayViews.parentName(PlayViewsTest.play("a", "alone", "hello", PlayPhase.Running, "2026-01-01T00:00:00Z")));
    Play ownedByAPod = PlayViewsTest.play("a", "x", "hello", PlayPhase.Running, "2026-01-01T00:00:00Z");
    ownedByAPod.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod").withName("p").withUid("u").build()));
    assertEquals(Optional.empty(), PlayViews.parentName(ownedByAPod), "only a Play is a parent");
  }

  @Test
  void aParentListsItsChildrenNewestFirstAndNoOneElses() {
    Play parent = PlayViewsTest.play("a", "p", "hello", PlayPhase.Succeeded, "2026-01-01T00:00:00Z");
    List<Play> all = List.of(parent,
        child("older", "2026-01-01T00:00:01Z", "p", "uid-p", true),
        child("newer", "2026-01-01T00:00:05Z", "p", "uid-p", false),
        child("by-label", "2026-01-01T00:00:03Z", "p", null, true),
        child("a-namesake-s", "2026-01-01T00:00:04Z", "p", "uid-of-an-older-p", false),
        child("cousin", "2026-01-01T00:00:02Z", "q", "uid-q", true));
    assertEquals(List.of("newer", "by-label", "older"), PlayViews.childrenOf(parent, all).stream().map(PlayLink::name).toList(),
        "an owner reference to another Play of the same name (an earlier one, deleted) is not this Play's child");
  }
}
