package io.herologic.operator.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * JSON trees and untyped values (free-form fields such as {@code spec.inputs}, and the maps Fabric8
 * keeps for fields it does not model, such as {@code managedFields}) read without recursion and cut
 * below {@link #MAX_DEPTH} levels, so that nothing afterwards recurses deeper than that.
 */
public final class DepthCappedJson {
  /** Far above anything valid (32 for inputs, 20 for values the runner emits), far below the stack's reach. */
  public static final int MAX_DEPTH = 128;
  static final TextNode CUT = TextNode.valueOf("… nested deeper than " + MAX_DEPTH + " levels: cut by the operator");

  /** For values within the cap only: converting them recurses. */
  private static final ObjectMapper PLAIN = new ObjectMapper();

  private DepthCappedJson() {}

  static SimpleModule module() {
    return new SimpleModule("herologic-depth-capped-json")
        .addDeserializer(JsonNode.class, new Tree<>(JsonNode.class))
        .addDeserializer(ObjectNode.class, new Tree<>(ObjectNode.class))
        .addDeserializer(ArrayNode.class, new Tree<>(ArrayNode.class))
        .addDeserializer(Object.class, new Untyped());
  }

  /** {@code tree} with every container deeper than {@link #MAX_DEPTH} (the root being level 1) replaced by {@link #CUT}. */
  public static <T extends JsonNode> T cut(T tree) {
    record Level(JsonNode node, int depth) {}
    Deque<Level> stack = new ArrayDeque<>();
    stack.push(new Level(tree, 1));
    while (!stack.isEmpty()) {
      Level level = stack.pop();
      if (level.node() instanceof ObjectNode object) {
        for (Map.Entry<String, JsonNode> field : object.properties()) {
          if (field.getValue().isContainerNode()) {
            if (level.depth() == MAX_DEPTH) {
              field.setValue(CUT);
            } else {
              stack.push(new Level(field.getValue(), level.depth() + 1));
            }
          }
        }
      } else if (level.node() instanceof ArrayNode array) {
        for (int i = 0; i < array.size(); i++) {
          if (array.get(i).isContainerNode()) {
            if (level.depth() == MAX_DEPTH) {
              array.set(i, CUT);
            } else {
              stack.push(new Level(array.get(i), level.depth() + 1));
            }
          }
        }
      }
    }
    return tree;
  }

  /** Jackson's own tree reader (which keeps an explicit stack), then the cut. */
  private static final class Tree<T extends JsonNode> extends StdDeserializer<T> {
    private final JsonDeserializer<? extends JsonNode> standard;

    Tree(Class<T> type) {
      super(type);
      this.standard = JsonNodeDeserializer.getDeserializer(type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      return cut((T) standard.deserialize(parser, context));
    }

    @Override
    @SuppressWarnings("unchecked")
    public T getNullValue(DeserializationContext context) {
      return handledType() == JsonNode.class ? (T) NullNode.getInstance() : null;
    }
  }

  /** Maps, lists and scalars as Jackson's untyped reader makes them, from a cut tree. */
  private static final class Untyped extends StdDeserializer<Object> {
    private final JsonDeserializer<? extends JsonNode> standard = JsonNodeDeserializer.getDeserializer(JsonNode.class);

    Untyped() {
      super(Object.class);
    }

    @Override
    public Object deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      return PLAIN.treeToValue(cut(standard.deserialize(parser, context)), Object.class);
    }
  }
}
